import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PreconditionFailedError, PreconditionRequiredError } from '../core/errors.js';

/** A resource's ETag: its revision, quoted as HTTP wants (RFC 9110 §8.8.3). */
export const etagOf = (revision: number): string => `"${revision}"`;

const ifMatchOf = (event: APIGatewayProxyEventV2): string | undefined =>
  event.headers?.['if-match'] ?? event.headers?.['If-Match'];

/**
 * The revision a write to an existing resource was based on: 428 without `If-Match`, 412 when
 * it names another revision. (The write itself is conditioned on it too, for the race between
 * this check and the write.)
 */
export function requireFreshIfMatch(event: APIGatewayProxyEventV2, currentRevision: number): number {
  const ifMatch = ifMatchOf(event);
  if (ifMatch === undefined)
    throw new PreconditionRequiredError(
      'Send If-Match with the ETag you read: this resource already exists.',
    );
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (!tags.includes('*') && !tags.includes(etagOf(currentRevision)))
    throw new PreconditionFailedError('The resource changed since you read it: read it again (new ETag).');
  return currentRevision;
}

/** Creating: an `If-Match` names a revision that cannot exist yet. */
export function refuseIfMatchOnCreate(event: APIGatewayProxyEventV2): void {
  if (ifMatchOf(event) !== undefined)
    throw new PreconditionFailedError('There is no such resource to match.');
}
