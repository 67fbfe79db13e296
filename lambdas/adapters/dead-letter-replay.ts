import { QueryCommand, type QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { dynamo } from './aws-clients.js';
import { unlessConditionFails } from './conditional-write.js';
import { customerPartition, retryBucketOf } from './customer-store.js';
import { env } from './env.js';
import type { ActionKey } from './outbox-store.js';
import { CUSTOMERS_TABLE, DEAD_LETTER_QUEUE, retryQueue } from './table-design.js';

export interface ReplayFilter {
  tenantId: string;
  /** Only this action. */
  actionId?: string;
  /** Only actions dead-lettered at or after this instant. */
  since?: Date;
}

export interface ReplaySummary {
  tenantId: string;
  /** Dead letters that matched the filter. */
  matched: number;
  /** Put back into the retry queue, attempts reset: the sweeper's next run delivers them. */
  replayed: string[];
  /** Matched but changed by someone else meanwhile (replayed twice at once, say): left alone. */
  skipped: string[];
}

const index = CUSTOMERS_TABLE.deliveryQueueIndex;

/** Dead-lettered actions of one tenant, through the sparse `delivery-queue` index (never a Scan). */
async function deadLettersOf(filter: ReplayFilter): Promise<{ key: ActionKey; action: Action }[]> {
  const found: { key: ActionKey; action: Action }[] = [];
  let startKey: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const page: QueryCommandOutput = await dynamo().send(
      new QueryCommand({
        TableName: env().CUSTOMERS_TABLE,
        IndexName: index.name,
        KeyConditionExpression:
          filter.since === undefined ? '#q = :dead' : '#q = :dead AND queuedAt >= :since',
        // The dead queue is shared by every tenant: the tenant prefix of pk keeps to one.
        FilterExpression:
          filter.actionId === undefined
            ? 'begins_with(pk, :tenant)'
            : 'begins_with(pk, :tenant) AND #a.actionId = :actionId',
        ExpressionAttributeNames: {
          '#q': index.partitionKey,
          ...(filter.actionId === undefined ? {} : { '#a': 'action' }),
        },
        ExpressionAttributeValues: {
          ':dead': DEAD_LETTER_QUEUE,
          ':tenant': customerPartition(filter.tenantId, ''),
          ...(filter.since === undefined ? {} : { ':since': filter.since.toISOString() }),
          ...(filter.actionId === undefined ? {} : { ':actionId': filter.actionId }),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? [])
      found.push({ key: { pk: String(item.pk), sk: String(item.sk) }, action: Action.parse(item.action) });
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return found;
}

/**
 * Puts one dead letter back into the retry queue with its attempts reset, due at `now`. The
 * action keeps its id, so the receiver sees the same `Idempotency-Key` and can drop it if it had
 * applied it after all. Conditional on it still being dead-lettered: replaying twice, or two
 * replays at once, requeue it once.
 */
async function requeue(key: ActionKey, actionId: string, now: Date): Promise<boolean> {
  const requeued = await unlessConditionFails(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: env().CUSTOMERS_TABLE,
        Key: key,
        UpdateExpression:
          'SET #a.delivery.attempts = :zero, #a.delivery.#s = :retrying, #a.delivery.replayedAt = :now, ' +
          '#q = :queue, queuedAt = :now',
        ConditionExpression: '#a.delivery.#s = :dead AND #q = :deadQueue',
        ExpressionAttributeNames: { '#a': 'action', '#s': 'status', '#q': 'queue' },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':retrying': 'retrying',
          ':dead': 'dead_lettered',
          ':deadQueue': DEAD_LETTER_QUEUE,
          ':queue': retryQueue(retryBucketOf(actionId)),
          ':now': now.toISOString(),
        },
      }),
    ),
  );
  return requeued !== undefined;
}

/** Moves a tenant's dead-lettered actions (all, one, or those since an instant) back to the retry queue. */
export async function replayDeadLetters(filter: ReplayFilter, now: Date): Promise<ReplaySummary> {
  const deadLetters = await deadLettersOf(filter);
  const summary: ReplaySummary = {
    tenantId: filter.tenantId,
    matched: deadLetters.length,
    replayed: [],
    skipped: [],
  };
  for (const { key, action } of deadLetters) {
    if (await requeue(key, action.actionId, now)) summary.replayed.push(action.actionId);
    else summary.skipped.push(action.actionId);
  }
  return summary;
}
