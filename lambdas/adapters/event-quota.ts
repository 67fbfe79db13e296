import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_EVENTS_PER_SECOND } from '../../schemas/tenant.js';
import { RetryableError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { loadTenant } from './config-store.js';
import { env } from './env.js';
import { CONFIG_TABLE } from './table-design.js';

export type QuotaDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counters outlive their second by a minute, then DynamoDB's TTL removes them. */
const COUNTER_LIFETIME_SECONDS = 60;

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * Takes `events` from a tenant's per-second quota: a fixed one-second window counted in the
 * config table, one conditional `UpdateItem` per request, the same in AWS and against DynamoDB
 * Local. The count only grows when the events fit (`count + events <= limit`), so refused
 * requests use none of the quota; a request larger than the whole limit passes only in a window
 * of its own, so that no batch is refused forever.
 *
 * Each tenant's counter is one item per second: past ~1,000 requests a second for one tenant
 * DynamoDB throttles the item itself, which is answered like an exhausted quota.
 */
export async function consumeEventQuota(tenantId: string, events: number, now: Date): Promise<QuotaDecision> {
  const tenant = await loadTenant(tenantId);
  const limit = tenant?.limits?.eventsPerSecond ?? DEFAULT_EVENTS_PER_SECOND;
  const second = Math.floor(now.getTime() / 1_000);
  const retryAfterSeconds = 1;
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: env().CONFIG_TABLE,
        Key: { pk: `${CONFIG_TABLE.quotaKeyPrefix}${tenantId}`, sk: `SECOND#${second}` },
        UpdateExpression: 'ADD #count :events SET #expiresAt = :expiresAt',
        ConditionExpression:
          events > limit ? 'attribute_not_exists(#count)' : 'attribute_not_exists(#count) OR #count <= :room',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': CONFIG_TABLE.timeToLiveAttribute },
        ExpressionAttributeValues: {
          ':events': events,
          ':expiresAt': second + COUNTER_LIFETIME_SECONDS,
          ...(events > limit ? {} : { ':room': limit - events }),
        },
      }),
    );
    return { allowed: true };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ConditionalCheckFailedException' || THROTTLED.has(name)) {
      return { allowed: false, retryAfterSeconds };
    }
    throw new RetryableError('the event quota could not be checked', { cause: error });
  }
}
