/**
 * The error taxonomy. Each class names one kind of failure; the HTTP error middleware and the
 * stream processor turn them into statuses or batch item failures in one place.
 */

export interface FieldProblem {
  code: string;
  message: string;
  /** Dotted JSON path of the offending field. */
  path?: string;
}

/** The caller sent something wrong: answer 4xx, or quarantine a stream record. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
  constructor(
    readonly code: string,
    message: string,
    readonly problems: FieldProblem[] = [],
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
  readonly code = 'unauthorized';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly code = 'not_found';
}

/** A dependency failed in a way that may pass on retry: 503 over HTTP, a batch item failure in a stream. */
export class RetryableError extends Error {
  override name = 'RetryableError';
  readonly code = 'temporarily_unavailable';
}

/** Someone else wrote the item since it was read (a `ConditionalCheckFailedException`): read again, retry. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
}
