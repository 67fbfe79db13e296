/**
 * The tenant sent more than its quota allows: 429 with `Retry-After`. (It belongs with the
 * taxonomy in lambdas/core/errors.ts; it lives here until that file can take it.)
 */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
