import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  PRIVACY_TOKEN_AUDIENCE,
  PRIVACY_TOKEN_ISSUER,
  PRIVACY_TOKEN_MAX_SECONDS,
  PrivacyTokenClaims,
} from '../../../schemas/privacy.js';

/**
 * Privacy tokens: compact JWTs (RFC 7519) signed HS256 (RFC 7518 §3.2) by the tenant's backend
 * with one of its privacy keys, for one customer and at most an hour. Only HS256 is taken: a
 * token naming another algorithm (`none` included) is invalid.
 */

export type PrivacyTokenProblem = 'token_missing' | 'token_invalid' | 'token_expired';

/** Why a token was refused; the HTTP layer answers 401 with `code`. */
export class PrivacyTokenError extends Error {
  override name = 'PrivacyTokenError';
  constructor(
    readonly code: PrivacyTokenProblem,
    message: string,
  ) {
    super(message);
  }
}

/** A token split and decoded, not yet verified: the tenant and key id say which secret to check it with. */
export interface UnverifiedToken {
  kid: string;
  tenantId: string;
  claims: unknown;
  signingInput: string;
  signature: Buffer;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const invalid = (message: string) => new PrivacyTokenError('token_invalid', message);

function decodeJsonPart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Falls through: not JSON.
  }
  throw invalid('The token is not a JWT.');
}

/** Splits a compact JWT and reads its header; refuses anything but an HS256 token with a `kid`. */
export function decodePrivacyToken(token: string | undefined): UnverifiedToken {
  if (token === undefined || token.length === 0)
    throw new PrivacyTokenError(
      'token_missing',
      'A privacy token is required: Authorization: Bearer <token>.',
    );
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 4_096) throw invalid('The token is not a JWT.');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodeJsonPart(headerPart);
  if (header.alg !== 'HS256') throw invalid('The token must be signed with HS256.');
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 64)
    throw invalid('The token has no key id (kid).');
  const claims = decodeJsonPart(payloadPart);
  if (typeof claims.tid !== 'string') throw invalid('The token names no tenant (tid).');
  return {
    kid: header.kid,
    tenantId: claims.tid,
    claims,
    signingInput: `${headerPart}.${payloadPart}`,
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

/**
 * Checks a decoded token against the tenant's secret for its `kid` and the time `nowSeconds`:
 * signature, fixed issuer and audience, `exp` in the future and at most an hour after `iat`.
 * Returns the claims; the customer is `sub`, and nobody else.
 *
 * @throws PrivacyTokenError `token_invalid` (forged, altered, wrong claims) or `token_expired`
 */
export function verifyPrivacyToken(
  token: UnverifiedToken,
  secret: string | undefined,
  nowSeconds: number,
): PrivacyTokenClaims {
  if (secret === undefined) throw invalid('The token is not signed with a key of this tenant.');
  const expected = createHmac('sha256', secret).update(token.signingInput).digest();
  if (expected.length !== token.signature.length || !timingSafeEqual(expected, token.signature))
    throw invalid('The token signature does not match.');
  const parsed = PrivacyTokenClaims.safeParse(token.claims);
  if (!parsed.success)
    throw invalid('The token claims are not the expected ones (iss, aud, tid, sub, iat, exp).');
  const claims = parsed.data;
  if (claims.exp <= claims.iat || claims.exp - claims.iat > PRIVACY_TOKEN_MAX_SECONDS)
    throw invalid(`A token lives at most ${PRIVACY_TOKEN_MAX_SECONDS} seconds.`);
  // A minute of leeway for clocks that disagree; never more than the token's own lifetime.
  if (claims.iat > nowSeconds + 60) throw invalid('The token is issued in the future.');
  if (claims.exp <= nowSeconds) throw new PrivacyTokenError('token_expired', 'The token has expired.');
  return claims;
}

/**
 * Signs a privacy token: what the tenant's backend does (any JWT library does the same), here
 * for tests and the docs' example.
 *
 * @example
 * signPrivacyToken({ tenantId: 'acme', customerId: 'claire', iat: now, exp: now + 900 }, kid, secret)
 */
export function signPrivacyToken(
  claims: { tenantId: string; customerId: string; iat: number; exp: number },
  kid: string,
  secret: string,
  overrides: Record<string, unknown> = {},
): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }));
  const payload = base64url(
    JSON.stringify({
      iss: PRIVACY_TOKEN_ISSUER,
      aud: PRIVACY_TOKEN_AUDIENCE,
      tid: claims.tenantId,
      sub: claims.customerId,
      iat: claims.iat,
      exp: claims.exp,
      ...overrides,
    }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
