import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimitedError } from '../http/rate-limited-error.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { CONFIG_TABLE } from './table-design.js';

/**
 * Config API writes per tenant and minute: a fixed window counted in the config table (pk
 * `CONFIGQUOTA#<tenantId>`, sk `MINUTE#<epoch minute>`, removed by TTL), one conditional
 * `UpdateItem` per write. A script gone wrong gets 429 rather than filling the audit.
 */
export async function consumeConfigWriteQuota(tenantId: string, now: Date): Promise<void> {
  const limit = env().CONFIG_WRITES_PER_MINUTE;
  const minute = Math.floor(now.getTime() / 60_000);
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: env().CONFIG_TABLE,
        Key: { pk: `CONFIGQUOTA#${tenantId}`, sk: `MINUTE#${minute}` },
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': CONFIG_TABLE.timeToLiveAttribute },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expiresAt': (minute + 2) * 60 },
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      const retryAfterSeconds = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now.getTime()) / 1_000));
      throw new RateLimitedError(`More than ${limit} config changes this minute.`, retryAfterSeconds);
    }
    throw error;
  }
}
