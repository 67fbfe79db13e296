import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { ApiKeyId, CreateApiKeyRequest } from '../../schemas/api-key.js';
import { type AuthenticatedKey, createApiKey, listApiKeys, revokeApiKey } from '../adapters/api-key-store.js';
import { listTenantAudit } from '../adapters/tenant-audit.js';
import { NotFoundError } from '../core/errors.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';

const MAX_KEY_REQUEST_BYTES = 4_096;

/** POST /v1/api-keys: the key is in this answer and never again. */
export async function createKey(
  event: APIGatewayProxyEventV2,
  caller: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const request = parseWith(CreateApiKeyRequest, readJsonBody(event, MAX_KEY_REQUEST_BYTES));
  const created = await createApiKey(caller.tenantId, request, caller.keyId, now);
  return jsonResponse(201, created, { 'cache-control': 'no-store' });
}

export async function listKeys(caller: AuthenticatedKey): Promise<HttpResult> {
  return jsonResponse(200, { keys: await listApiKeys(caller.tenantId) });
}

/** DELETE /v1/api-keys/{keyId}: revokes; another tenant's key id is 404, like an unknown one. */
export async function revokeKey(
  event: APIGatewayProxyEventV2,
  caller: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const parsed = z.object({ keyId: ApiKeyId }).safeParse(event.pathParameters ?? {});
  if (!parsed.success) throw new NotFoundError('No API key by that id.');
  return jsonResponse(200, await revokeApiKey(caller.tenantId, parsed.data.keyId, caller.keyId, now));
}

/** GET /v1/audit: changes to keys, webhooks, actions, settings and caps, oldest first. */
export async function tenantAudit(caller: AuthenticatedKey): Promise<HttpResult> {
  return jsonResponse(200, { entries: await listTenantAudit(caller.tenantId) });
}
