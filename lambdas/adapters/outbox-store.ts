import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { dynamo } from './aws-clients.js';
import { unlessConditionFails } from './conditional-write.js';
import { actionIdOfSortKey, retryBucketOf } from './customer-store.js';
import { env } from './env.js';
import { CUSTOMERS_TABLE, DEAD_LETTER_QUEUE, retryQueue } from './table-design.js';

/**
 * Delivery bookkeeping on action items. Every transition is a conditional update on the
 * attempt counter, so two dispatchers (a stream redelivery racing the sweeper, say) can never
 * both own the same attempt.
 */

export interface ActionKey {
  pk: string;
  sk: string;
}

/** How long a claimed attempt may run before the sweeper assumes its dispatcher died. */
const CLAIM_LEASE_SECONDS = 120;

const index = CUSTOMERS_TABLE.deliveryQueueIndex;

/**
 * Takes the next delivery attempt of an action. Returns the action as claimed, or null when
 * it is not ours to send: already delivered or dead-lettered, claimed by someone else, or a
 * retry that is not due yet.
 */
export async function claimDeliveryAttempt(
  key: ActionKey,
  attemptsSeen: number,
  now: Date,
): Promise<Action | null> {
  const actionId = actionIdOfSortKey(key.sk);
  const claimed = await unlessConditionFails(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: env().CUSTOMERS_TABLE,
        Key: key,
        UpdateExpression:
          'SET #a.delivery.attempts = :next, #a.delivery.#s = :sending, #a.delivery.lastAttemptAt = :now, ' +
          '#q = :queue, queuedAt = :leaseEnd',
        // A pending action is the dispatcher's at once, unless it was deferred to a later time.
        ConditionExpression:
          '#a.delivery.attempts = :seen AND ' +
          '((#a.delivery.#s = :pending AND (attribute_not_exists(#a.deliverAt) OR #a.deliverAt <= :now)) OR ' +
          '(#a.delivery.#s IN (:retrying, :sending) AND queuedAt <= :now))',
        ExpressionAttributeNames: { '#a': 'action', '#s': 'status', '#q': 'queue' },
        ExpressionAttributeValues: {
          ':seen': attemptsSeen,
          ':next': attemptsSeen + 1,
          ':pending': 'pending',
          ':retrying': 'retrying',
          ':sending': 'sending',
          ':now': now.toISOString(),
          ':queue': retryQueue(retryBucketOf(actionId)),
          ':leaseEnd': new Date(now.getTime() + CLAIM_LEASE_SECONDS * 1_000).toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return claimed === undefined ? null : Action.parse(claimed.Attributes?.action);
}

export async function recordDelivered(key: ActionKey, attempt: number, now: Date): Promise<void> {
  await finishAttempt(
    key,
    attempt,
    'SET #a.delivery.#s = :delivered, #a.delivery.deliveredAt = :now REMOVE #q, queuedAt',
    {
      ':delivered': 'delivered',
      ':now': now.toISOString(),
    },
  );
}

export async function recordFailedAttempt(
  key: ActionKey,
  attempt: number,
  reason: string,
  next: { retryAt: Date } | { deadLetteredAt: Date },
): Promise<void> {
  const retrying = 'retryAt' in next;
  await finishAttempt(
    key,
    attempt,
    'SET #a.delivery.#s = :status, #a.delivery.lastError = :reason, #q = :queue, queuedAt = :at',
    {
      ':status': retrying ? 'retrying' : 'dead_lettered',
      ':reason': reason.slice(0, 500),
      ':queue': retrying ? retryQueue(retryBucketOf(actionIdOfSortKey(key.sk))) : DEAD_LETTER_QUEUE,
      ':at': (retrying ? next.retryAt : next.deadLetteredAt).toISOString(),
    },
  );
}

async function finishAttempt(
  key: ActionKey,
  attempt: number,
  update: string,
  values: Record<string, unknown>,
) {
  // When our lease ran out and another dispatcher took the next attempt, its outcome wins.
  await unlessConditionFails(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: env().CUSTOMERS_TABLE,
        Key: key,
        UpdateExpression: update,
        ConditionExpression: '#a.delivery.attempts = :attempt AND #a.delivery.#s = :sending',
        ExpressionAttributeNames: {
          '#a': 'action',
          '#s': 'status',
          ...(update.includes('#q') ? { '#q': 'queue' } : {}),
        },
        ExpressionAttributeValues: { ':attempt': attempt, ':sending': 'sending', ...values },
      }),
    ),
  );
}

export interface QueuedAction {
  key: ActionKey;
  attempts: number;
}

/** Actions whose retry (or first attempt's safety net) is due, from one index partition. */
export async function dueDeliveries(bucket: number, now: Date, limit: number): Promise<QueuedAction[]> {
  return queryQueue(retryQueue(bucket), now.toISOString(), limit);
}

/** Dead-lettered actions, oldest first. */
export async function deadLetteredActions(limit: number): Promise<QueuedAction[]> {
  return queryQueue(DEAD_LETTER_QUEUE, '9999', limit);
}

async function queryQueue(queue: string, upTo: string, limit: number): Promise<QueuedAction[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: env().CUSTOMERS_TABLE,
      IndexName: index.name,
      KeyConditionExpression: '#q = :queue AND queuedAt <= :upTo',
      ExpressionAttributeNames: { '#q': index.partitionKey },
      ExpressionAttributeValues: { ':queue': queue, ':upTo': upTo },
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => ({
    key: { pk: String(item.pk), sk: String(item.sk) },
    attempts: Action.parse(item.action).delivery.attempts,
  }));
}

/**
 * Cancels an action that was not sent and must not be: its consent was withdrawn. Only from
 * `fromStatuses` (what the caller saw, or its own claimed attempt); an action delivered or
 * claimed meanwhile is left alone (false). It leaves the delivery queue: nothing retries it.
 */
export async function recordCancelled(
  key: ActionKey,
  reason: string,
  now: Date,
  expected: { statuses: readonly ('pending' | 'retrying' | 'sending')[]; attempts?: number },
): Promise<boolean> {
  const statuses = Object.fromEntries(expected.statuses.map((status, i) => [`:from${i}`, status]));
  const cancelled = await unlessConditionFails(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: env().CUSTOMERS_TABLE,
        Key: key,
        UpdateExpression:
          'SET #a.delivery.#s = :cancelled, #a.delivery.lastError = :reason, #a.delivery.cancelledAt = :now ' +
          'REMOVE #q, queuedAt',
        ConditionExpression:
          `#a.delivery.#s IN (${Object.keys(statuses).join(', ')})` +
          (expected.attempts === undefined ? '' : ' AND #a.delivery.attempts = :attempts'),
        ExpressionAttributeNames: { '#a': 'action', '#s': 'status', '#q': 'queue' },
        ExpressionAttributeValues: {
          ':cancelled': 'cancelled',
          ':reason': reason.slice(0, 500),
          ':now': now.toISOString(),
          ...statuses,
          ...(expected.attempts === undefined ? {} : { ':attempts': expected.attempts }),
        },
      }),
    ),
  );
  return cancelled !== undefined;
}
