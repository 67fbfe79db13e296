import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { PrivacyKeyResource } from '../../schemas/privacy.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { createPrivacyKey, listPrivacyKeys, revokePrivacyKey } from '../adapters/privacy-key-store.js';
import { NotFoundError } from '../core/errors.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';

const asResource = (key: { kid: string; secret: string; createdAt: string }, showSecret: boolean) =>
  ({
    kid: key.kid,
    createdAt: key.createdAt,
    secretHint: key.secret.slice(-4),
    ...(showSecret ? { secret: key.secret } : {}),
  }) satisfies PrivacyKeyResource;

/**
 * POST /v1/privacy-keys: a new key to sign customers' privacy tokens with (HS256, `kid` in the
 * token's header). The secret is shown this once. Rotation: create a new key, sign with it,
 * revoke the old one once no token signed with it is still live (an hour at most).
 */
export async function createKey(
  _event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const created = await createPrivacyKey(key.tenantId, key.keyId, now);
  return jsonResponse(201, asResource(created, true));
}

/** GET /v1/privacy-keys: the live keys, never a whole secret. */
export async function listKeys(key: AuthenticatedKey): Promise<HttpResult> {
  const keys = await listPrivacyKeys(key.tenantId);
  return jsonResponse(200, { keys: keys.map((found) => asResource(found, false)) });
}

/** DELETE /v1/privacy-keys/{kid}: tokens signed with it are refused from then on (within the config cache time). */
export async function revokeKey(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const kid = event.pathParameters?.kid;
  if (kid === undefined || !/^pk_[0-9a-f]{16}$/.test(kid))
    throw new NotFoundError('No live privacy key by that id.');
  await revokePrivacyKey(key.tenantId, kid, key.keyId, now);
  return jsonResponse(200, { kid, revokedAt: now.toISOString() });
}
