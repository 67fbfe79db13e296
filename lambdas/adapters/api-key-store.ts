import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ApiKeyScope, ApiKeySummary, type CreatedApiKey } from '../../schemas/api-key.js';
import { NotFoundError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';
import { writeWithAudit } from './tenant-audit.js';
import { TtlCache } from './ttl-cache.js';

/**
 * API keys of the config API, in the config table, two items per key:
 * - lookup:  pk `APIKEY#<sha256(key)>`, sk `APIKEY` — what authentication reads (tenant, scopes)
 * - listing: pk `TENANT#<tenantId>`, sk `APIKEY#<keyId>` — what the tenant lists and revokes
 * Only the SHA-256 of a key is stored: a leaked table does not leak working keys. Both items are
 * written and revoked in one transaction, so they never disagree.
 */

export interface AuthenticatedKey {
  tenantId: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

const LAST_USED_RESOLUTION_MS = 60_000;

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const lookupKey = (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' });
const listingKey = (tenantId: string, keyId: string) => ({ pk: `TENANT#${tenantId}`, sk: `APIKEY#${keyId}` });

let keysByHash: TtlCache<AuthenticatedKey | null> | undefined;
/** When this container last wrote each key's `lastUsedAt`: at most one write a minute per key. */
const lastUsedWrites = new Map<string, number>();

/** Creates a key; the secret is in the answer and nowhere else. */
export async function createApiKey(
  tenantId: string,
  request: { name: string; scopes: ApiKeyScope[] },
  createdBy: string,
  now: Date,
): Promise<CreatedApiKey> {
  const keyId = `key_${randomBytes(6).toString('hex')}`;
  const key = `ek_${randomBytes(24).toString('base64url')}`;
  const hash = hashApiKey(key);
  const scopes = [...new Set(request.scopes)];
  const summary: ApiKeySummary = {
    keyId,
    name: request.name,
    scopes,
    createdAt: now.toISOString(),
    createdBy,
  };
  await writeWithAudit(
    tenantId,
    [
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: { ...lookupKey(hash), tenantId, keyId, scopes },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: { ...listingKey(tenantId, keyId), ...summary, keyHash: hash },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ],
    {
      resource: `api-key:${keyId}`,
      action: 'created',
      at: summary.createdAt,
      by: createdBy,
      changes: [
        { path: 'name', to: summary.name },
        { path: 'scopes', to: scopes },
      ],
    },
    'A key by that id exists already: try again.',
  );
  return { ...summary, key };
}

/**
 * The tenant, id and scopes of a key, or null when it is unknown or revoked. A revocation reaches
 * warm functions within `CONFIG_CACHE_SECONDS`, as for write keys.
 */
export async function findApiKey(key: string): Promise<AuthenticatedKey | null> {
  keysByHash ??= new TtlCache(env().CONFIG_CACHE_SECONDS * 1_000);
  const hash = hashApiKey(key);
  return keysByHash.getOrLoad(hash, async () => {
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: env().CONFIG_TABLE, Key: lookupKey(hash) }),
    );
    if (Item === undefined || Item.revokedAt !== undefined) return null;
    return {
      tenantId: String(Item.tenantId),
      keyId: String(Item.keyId),
      scopes: Item.scopes as ApiKeyScope[],
    };
  });
}

/**
 * Records that a key was used. Written at most once a minute per key and container, and the
 * condition skips the write when another container did it within the minute: a busy key costs
 * about one write a minute, not one per request.
 */
export async function touchApiKey(tenantId: string, keyId: string, now: Date): Promise<void> {
  const last = lastUsedWrites.get(keyId);
  if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
  lastUsedWrites.set(keyId, now.getTime());
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: env().CONFIG_TABLE,
        Key: listingKey(tenantId, keyId),
        UpdateExpression: 'SET lastUsedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :minuteAgo)',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':minuteAgo': new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString(),
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
  }
}

export async function listApiKeys(tenantId: string): Promise<ApiKeySummary[]> {
  const items = await queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'APIKEY#');
  return items.map((item) => ApiKeySummary.parse(item));
}

/** Revokes a key of this tenant (404 for any other tenant's key): refused (401) from then on. */
export async function revokeApiKey(
  tenantId: string,
  keyId: string,
  revokedBy: string,
  now: Date,
): Promise<ApiKeySummary> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: env().CONFIG_TABLE, Key: listingKey(tenantId, keyId) }),
  );
  if (Item === undefined) throw new NotFoundError('No API key by that id.');
  const summary = ApiKeySummary.parse(Item);
  if (summary.revokedAt !== undefined) return summary;
  const at = now.toISOString();
  const revoke = (Key: Record<string, string>) => ({
    Update: {
      TableName: env().CONFIG_TABLE,
      Key,
      UpdateExpression: 'SET revokedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': at },
    },
  });
  await writeWithAudit(
    tenantId,
    [revoke(listingKey(tenantId, keyId)), revoke(lookupKey(String(Item.keyHash)))],
    {
      resource: `api-key:${keyId}`,
      action: 'revoked',
      at,
      by: revokedBy,
      changes: [{ path: 'revokedAt', to: at }],
    },
    'The key changed meanwhile: try again.',
  );
  keysByHash?.clear();
  return { ...summary, revokedAt: at };
}

/** Tests and the local host change config and want it seen at once. */
export function clearApiKeyCache(): void {
  keysByHash?.clear();
  lastUsedWrites.clear();
}
