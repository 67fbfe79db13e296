import * as z from 'zod';
import { IsoDateTime } from './common.js';

/**
 * What an API key may do. `admin` implies every other scope. `ingest` lets a key stand in for a
 * write key on the tracking API; `decide` lets a server ask the decision API (`GET /v1/decide`),
 * which web pages and apps call with the write key.
 */
export const ApiKeyScope = z.enum(['ingest', 'config:read', 'config:write', 'privacy', 'decide', 'admin']);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const ApiKeyId = z.string().regex(/^key_[A-Za-z0-9]{12}$/, 'an API key id like key_3f9c1a2b4d5e');

export const CreateApiKeyRequest = z.strictObject({
  name: z.string().min(1).max(200),
  scopes: z.array(ApiKeyScope).min(1).max(5),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** An API key as listed: never the key itself, which only its creator saw, once. */
export const ApiKeySummary = z.object({
  keyId: ApiKeyId,
  name: z.string(),
  scopes: z.array(ApiKeyScope),
  createdAt: IsoDateTime,
  /** The key id that created it (`bootstrap` for the tenant's first key). */
  createdBy: z.string(),
  /** Updated at most once a minute per key, to bound writes. */
  lastUsedAt: IsoDateTime.optional(),
  revokedAt: IsoDateTime.optional(),
});
export type ApiKeySummary = z.infer<typeof ApiKeySummary>;

export const CreatedApiKey = ApiKeySummary.extend({
  /** The secret: shown in this answer only. Send it as `Authorization: Bearer <key>`. */
  key: z.string(),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({ keys: z.array(ApiKeySummary) });
