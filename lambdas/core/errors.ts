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

/** The caller is known but its key lacks the scope the route needs: 403 (own tenant only). */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  readonly code = 'forbidden';
}

/** The resource changed since the caller read it (`If-Match` does not match the ETag): 412. */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
  readonly code = 'precondition_failed';
}

/** A write to an existing resource came without `If-Match`: 428, so no edit is lost blindly. */
export class PreconditionRequiredError extends Error {
  override name = 'PreconditionRequiredError';
  readonly code = 'precondition_required';
}

/** The request cannot apply to the resource in its current state (e.g. resume an archived journey): 409. */
export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly code = 'conflict';
}

/** An API key (Bearer) is missing, unknown or revoked: 401 with a Bearer challenge. */
export class ApiKeyUnauthorizedError extends UnauthorizedError {
  override name = 'ApiKeyUnauthorizedError';
}
