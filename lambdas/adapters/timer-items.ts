import { createHash } from 'node:crypto';
import type { Timer } from '../../schemas/timer.js';
import { CUSTOMERS_TABLE } from './table-design.js';

/**
 * How journey timers sit in the customers table: plain functions over plain data, shared by the
 * processor's write (customer-store.ts) and the sweeper's reads (timer-queue.ts).
 */

/** What a customer's outcome does to their timers: arm these, remove those (by timer id). */
export interface TimerChanges {
  set: readonly Timer[];
  cancel: readonly string[];
}

export const NO_TIMER_CHANGES: TimerChanges = { set: [], cancel: [] };

export const TIMER_SORT_KEY_PREFIX = 'TIMER#';
export const timerSortKey = (timerId: string) => `${TIMER_SORT_KEY_PREFIX}${timerId}`;

/**
 * A fired timer whose record never got applied (it went to the processor's dead-letter queue)
 * would stay forever: DynamoDB's TTL removes it a week after it was due. TTL deletes within a
 * few days of expiry, not at once (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html),
 * which is why it is only the backstop and the processor deletes the item itself.
 */
const TIMER_RETENTION_SECONDS = 7 * 86_400;

export const timerExpiresAt = (dueAt: string): number =>
  Math.floor(Date.parse(dueAt) / 1_000) + TIMER_RETENTION_SECONDS;

/**
 * Which of the `timer-due` index partitions a timer waits in: a hash of its id, so it is stable
 * (a re-armed timer lands where the sweeper already looks) and spreads timers evenly whatever
 * their ids look like. The bucket count may only ever grow: a timer stays in the bucket it was
 * written to, and the sweeper reads buckets 0 to `timerBuckets - 1`.
 */
export function timerBucketOf(timerId: string): number {
  return createHash('sha256').update(timerId).digest().readUInt32BE(0) % CUSTOMERS_TABLE.timerBuckets;
}

/**
 * One change per timer id: a transaction may not touch an item twice (DynamoDB answers
 * ValidationException), so repeated ids are folded. When an id is both set and cancelled, the
 * set wins: a timer that fires for an instance that has moved on is ignored by the engine, while
 * a wait whose timer was wrongly deleted would never end.
 */
export function netTimerChanges(changes: TimerChanges): TimerChanges {
  const set = new Map<string, Timer>();
  for (const timer of changes.set) set.set(timer.timerId, timer);
  const cancel = [...new Set(changes.cancel)].filter((timerId) => !set.has(timerId));
  return { set: [...set.values()], cancel };
}
