import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Timer } from '../../schemas/timer.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { CUSTOMERS_TABLE, timerQueue } from './table-design.js';

/**
 * The sweeper's side of journey timers: due timers read from the sparse `timer-due` index (one
 * partition per bucket, sorted by due time, never a scan of the table), and each taken out of
 * the index once its record is in the stream.
 */

export interface TimerKey {
  pk: string;
  sk: string;
}

/** An entry of the due index: the timer item's key and the due time it is indexed under. */
export interface QueuedTimer {
  key: TimerKey;
  dueAt: string;
}

export interface DueTimer extends QueuedTimer {
  timer: Timer;
}

export interface DueTimersPage {
  due: DueTimer[];
  /** Entries whose `timer` does not match the schema (an older or broken writer). */
  unreadable: QueuedTimer[];
  /** Where the next page starts, when the bucket has more timers due. */
  nextStartKey?: Record<string, unknown>;
}

const index = CUSTOMERS_TABLE.timerDueIndex;

/**
 * Up to `limit` timers of one bucket due at or before `now`, oldest first. Reads from a global
 * secondary index are eventually consistent
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reads), so a
 * timer marked fired a moment ago may still show up: it is put again and the processor drops the
 * repeat by its timer id.
 */
export async function dueTimers(
  bucket: number,
  now: Date,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<DueTimersPage> {
  const page = await dynamo().send(
    new QueryCommand({
      TableName: env().CUSTOMERS_TABLE,
      IndexName: index.name,
      KeyConditionExpression: '#queue = :queue AND #dueAt <= :now',
      ExpressionAttributeNames: { '#queue': index.partitionKey, '#dueAt': index.sortKey },
      ExpressionAttributeValues: { ':queue': timerQueue(bucket), ':now': now.toISOString() },
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  const result: DueTimersPage = { due: [], unreadable: [] };
  for (const item of page.Items ?? []) {
    const queued = { key: { pk: String(item.pk), sk: String(item.sk) }, dueAt: String(item[index.sortKey]) };
    const parsed = Timer.safeParse(item.timer);
    if (parsed.success) result.due.push({ ...queued, timer: parsed.data });
    else result.unreadable.push(queued);
  }
  if (page.LastEvaluatedKey !== undefined) result.nextStartKey = page.LastEvaluatedKey;
  return result;
}

/**
 * Takes a timer out of the due index (REMOVE `timerQueue`: a sparse index holds only items that
 * have its key) and records when it fired. Conditional on the item still waiting with the due
 * time it was read with, so that it neither recreates an item the processor has deleted since
 * (UpdateItem creates missing items) nor silences a timer re-armed for a later time.
 *
 * @returns false when the timer was not marked: gone, re-armed, or written by the processor at
 * this very moment (a transaction conflict). If it is still due, the next sweep puts it again and
 * the processor drops the repeat.
 */
export async function markTimerFired(queued: QueuedTimer, firedAt: Date): Promise<boolean> {
  return takeOutOfQueue(queued, 'firedAt', firedAt);
}

/**
 * Takes an unreadable timer out of the due index, so that it cannot hold its bucket up run after
 * run; the item stays (until its TTL) for someone to look at.
 */
export async function quarantineTimer(queued: QueuedTimer, at: Date): Promise<boolean> {
  return takeOutOfQueue(queued, 'quarantinedAt', at);
}

async function takeOutOfQueue({ key, dueAt }: QueuedTimer, stamp: string, at: Date): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: env().CUSTOMERS_TABLE,
        Key: key,
        UpdateExpression: 'REMOVE #queue SET #stamp = :at',
        ConditionExpression: 'attribute_exists(#queue) AND #dueAt = :dueAt',
        ExpressionAttributeNames: { '#queue': index.partitionKey, '#dueAt': index.sortKey, '#stamp': stamp },
        ExpressionAttributeValues: { ':dueAt': dueAt, ':at': at.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    if (error instanceof TransactionConflictException) return false;
    throw error;
  }
}
