import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { consentDefaultsOf, purposesOf, TenantSettings } from '../../schemas/config-api.js';
import { Journey } from '../../schemas/journey.js';
import { Tenant } from '../../schemas/tenant.js';
import { type ConsentPolicy, consentPolicyOf } from '../core/consent/consent-policy.js';
import { compileJourneys, type PublishedJourneys } from '../core/engine.js';
import { clearApiKeyCache } from './api-key-store.js';
import { dynamo } from './aws-clients.js';
import { getConfigDocument } from './config-document-store.js';
import { loadDecisionPolicy } from './decision-policy-store.js';
import { env } from './env.js';
import { clearPrivacyKeyCache } from './privacy-key-store.js';
import { queryByPrefix } from './query-by-prefix.js';
import { TtlCache } from './ttl-cache.js';

/**
 * Reads and writes the config table: tenants, their write keys and their journeys. Write keys
 * are stored as SHA-256 hashes: a leaked table does not leak working keys.
 */

const tenantKey = (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'PROFILE' });
const writeKeyKey = (writeKey: string) => ({ pk: `WRITEKEY#${hashWriteKey(writeKey)}`, sk: 'WRITEKEY' });

export function hashWriteKey(writeKey: string): string {
  return createHash('sha256').update(writeKey).digest('hex');
}

const cacheTtlMs = () => env().CONFIG_CACHE_SECONDS * 1_000;
let tenantByWriteKey: TtlCache<string | null> | undefined;
let tenants: TtlCache<Tenant | null> | undefined;
let journeys: TtlCache<PublishedJourneys> | undefined;
let consentPolicies: TtlCache<ConsentPolicy> | undefined;

/**
 * The tenant a write key belongs to, or null when the key is unknown or revoked. A revocation
 * reaches warm functions within `CONFIG_CACHE_SECONDS`.
 */
export async function findTenantIdByWriteKey(writeKey: string): Promise<string | null> {
  tenantByWriteKey ??= new TtlCache(cacheTtlMs());
  return tenantByWriteKey.getOrLoad(hashWriteKey(writeKey), async () => {
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: env().CONFIG_TABLE, Key: writeKeyKey(writeKey) }),
    );
    if (Item?.revokedAt !== undefined) return null;
    return typeof Item?.tenantId === 'string' ? Item.tenantId : null;
  });
}

export async function loadTenant(tenantId: string): Promise<Tenant | null> {
  tenants ??= new TtlCache(cacheTtlMs());
  return tenants.getOrLoad(tenantId, async () => {
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: env().CONFIG_TABLE, Key: tenantKey(tenantId) }),
    );
    return Item === undefined ? null : Tenant.parse(Item.tenant);
  });
}

/**
 * A tenant's consent policy, from its settings: its defaults and purposes. No settings yet, or
 * settings that no longer parse: opt-in (nothing assumed), never permissive.
 */
export async function loadConsentPolicy(tenantId: string): Promise<ConsentPolicy> {
  consentPolicies ??= new TtlCache(cacheTtlMs());
  return consentPolicies.getOrLoad(tenantId, async () => {
    const stored = await getConfigDocument(tenantId, 'settings');
    const parsed = TenantSettings.safeParse(stored?.document ?? {});
    const settings = parsed.success ? parsed.data : undefined;
    return consentPolicyOf(consentDefaultsOf(settings), purposesOf(settings));
  });
}

/**
 * A tenant's journeys, compiled with its consent policy, from a warm cache: the current version
 * of each (what new customers enter) and every published version (what running instances may
 * still be on).
 */
export async function loadPublishedJourneys(tenantId: string): Promise<PublishedJourneys> {
  journeys ??= new TtlCache(cacheTtlMs());
  return journeys.getOrLoad(tenantId, async () => {
    const current: Journey[] = [];
    const versions: Journey[] = [];
    for (const item of await queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'JOURNEY')) {
      const journey = Journey.parse(item.journey);
      (String(item.sk).startsWith('JOURNEYVERSION#') ? versions : current).push(journey);
    }
    const [consent, decisions] = await Promise.all([
      loadConsentPolicy(tenantId),
      loadDecisionPolicy(tenantId),
    ]);
    // The catalog's behaviour counts are kept with the journeys': one engine keeps all counters.
    return compileJourneys(current, versions, consent, decisions.countedConditions);
  });
}

export async function putTenant(tenant: Tenant): Promise<void> {
  const valid = Tenant.parse(tenant);
  await dynamo().send(
    new PutCommand({ TableName: env().CONFIG_TABLE, Item: { ...tenantKey(valid.tenantId), tenant: valid } }),
  );
}

export async function putWriteKey(tenantId: string, writeKey: string, createdAt: Date): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: env().CONFIG_TABLE,
      Item: { ...writeKeyKey(writeKey), tenantId, createdAt: createdAt.toISOString() },
    }),
  );
}

/** Revokes a write key: requests with it are refused (401) from then on. */
export async function revokeWriteKey(writeKey: string, revokedAt: Date): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: env().CONFIG_TABLE,
      Key: writeKeyKey(writeKey),
      UpdateExpression: 'SET revokedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': revokedAt.toISOString() },
    }),
  );
}

/**
 * Publishes a journey: the current item, and an immutable copy of this version that instances
 * which entered it keep running on after later versions are published.
 */
export async function putJourney(tenantId: string, journey: Journey): Promise<void> {
  const valid = Journey.parse(journey);
  const version = String(valid.version).padStart(6, '0');
  await dynamo().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: env().CONFIG_TABLE,
            Item: { pk: `TENANT#${tenantId}`, sk: `JOURNEY#${valid.id}`, journey: valid },
          },
        },
        {
          Put: {
            TableName: env().CONFIG_TABLE,
            Item: { pk: `TENANT#${tenantId}`, sk: `JOURNEYVERSION#${valid.id}#${version}`, journey: valid },
          },
        },
      ],
    }),
  );
}

/** Tests and the local host seed config and want it seen at once. */
export function clearConfigCaches(): void {
  tenantByWriteKey?.clear();
  tenants?.clear();
  journeys?.clear();
  consentPolicies?.clear();
  clearApiKeyCache();
  clearPrivacyKeyCache();
}
