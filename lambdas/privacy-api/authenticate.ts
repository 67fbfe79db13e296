import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { PrivacyTokenClaims } from '../../schemas/privacy.js';
import { privacyKeySecret } from '../adapters/privacy-key-store.js';
import { decodePrivacyToken, PrivacyTokenError, verifyPrivacyToken } from '../core/privacy/privacy-token.js';

/** The customer a request speaks for: only ever the verified token's tenant and subject. */
export interface PrivacySubject {
  tenantId: string;
  customerId: string;
}

function bearerOf(event: APIGatewayProxyEventV2): string | undefined {
  const value = event.headers?.authorization ?? event.headers?.Authorization;
  if (value === undefined) return undefined;
  const match = value.match(/^Bearer\s+(\S+)\s*$/i);
  if (match?.[1] === undefined)
    throw new PrivacyTokenError('token_invalid', 'The authorization header is not "Bearer <token>".');
  return match[1];
}

/**
 * Verifies the request's privacy token with the key its header names, among the keys of the
 * tenant its claims name: a key of another tenant, a revoked key, an altered or expired token
 * are refused (401, `token_invalid` / `token_expired` / `token_missing`).
 */
export async function authenticatePrivacyToken(
  event: APIGatewayProxyEventV2,
  now: Date,
): Promise<PrivacySubject> {
  const token = decodePrivacyToken(bearerOf(event));
  const secret = await privacyKeySecret(token.tenantId, token.kid);
  const claims: PrivacyTokenClaims = verifyPrivacyToken(token, secret, Math.floor(now.getTime() / 1_000));
  return { tenantId: claims.tid, customerId: claims.sub };
}
