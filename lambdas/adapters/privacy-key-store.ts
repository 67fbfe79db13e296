import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';
import { writeWithAudit } from './tenant-audit.js';
import { TtlCache } from './ttl-cache.js';

/**
 * A tenant's privacy signing keys (pk `TENANT#<tenantId>`, sk `PRIVACYKEY#<kid>`): HMAC secrets
 * the tenant's backend signs customers' privacy tokens with. Stored as they are, not hashed,
 * because verifying an HMAC needs the secret (the config table is encrypted with the
 * customer-managed key); shown once when created. Several may be live at once: rotate by
 * creating a new one, moving the signer to it, then revoking the old one.
 */
const key = (tenantId: string, kid: string) => ({ pk: `TENANT#${tenantId}`, sk: `PRIVACYKEY#${kid}` });

export interface PrivacyKey {
  kid: string;
  secret: string;
  createdAt: string;
}

export async function createPrivacyKey(tenantId: string, by: string, now: Date): Promise<PrivacyKey> {
  const created: PrivacyKey = {
    kid: `pk_${randomBytes(8).toString('hex')}`,
    secret: randomBytes(32).toString('base64url'),
    createdAt: now.toISOString(),
  };
  await writeWithAudit(
    tenantId,
    [
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: { ...key(tenantId, created.kid), ...created },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ],
    {
      resource: `privacy-key:${created.kid}`,
      action: 'created',
      at: created.createdAt,
      by,
      changes: [{ path: 'secret', to: `…${created.secret.slice(-4)}` }],
    },
    'A privacy key with that id exists already: try again.',
  );
  return created;
}

export async function listPrivacyKeys(tenantId: string): Promise<PrivacyKey[]> {
  const items = await queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'PRIVACYKEY#', {
    consistentRead: true,
  });
  return items
    .filter((item) => item.revokedAt === undefined)
    .map((item) => ({
      kid: String(item.kid),
      secret: String(item.secret),
      createdAt: String(item.createdAt),
    }));
}

export async function revokePrivacyKey(tenantId: string, kid: string, by: string, now: Date): Promise<void> {
  const at = now.toISOString();
  try {
    await writeWithAudit(
      tenantId,
      [
        {
          Update: {
            TableName: env().CONFIG_TABLE,
            Key: key(tenantId, kid),
            UpdateExpression: 'SET revokedAt = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':at': at },
          },
        },
      ],
      { resource: `privacy-key:${kid}`, action: 'revoked', at, by, changes: [] },
      'No live privacy key by that id.',
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'PreconditionFailedError')
      throw new NotFoundError('No live privacy key by that id.');
    throw error;
  }
}

let secrets: TtlCache<string | null> | undefined;

/**
 * The secret of a live key of the tenant, or undefined: from a warm cache, so a revocation
 * reaches warm functions within CONFIG_CACHE_SECONDS.
 */
export async function privacyKeySecret(tenantId: string, kid: string): Promise<string | undefined> {
  secrets ??= new TtlCache(env().CONFIG_CACHE_SECONDS * 1_000);
  const secret = await secrets.getOrLoad(`${tenantId}#${kid}`, async () => {
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: env().CONFIG_TABLE, Key: key(tenantId, kid) }),
    );
    if (Item === undefined || Item.revokedAt !== undefined) return null;
    return String(Item.secret);
  });
  return secret ?? undefined;
}

export function clearPrivacyKeyCache(): void {
  secrets?.clear();
}
