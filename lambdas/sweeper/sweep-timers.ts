import pMap from 'p-map';
import { timerFiredRecord } from '../../schemas/stream-record.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import { logger } from '../adapters/logger.js';
import { CUSTOMERS_TABLE } from '../adapters/table-design.js';
import { type DueTimer, dueTimers, markTimerFired, quarantineTimer } from '../adapters/timer-queue.js';

export interface TimerSweepLimits {
  /**
   * Timers swept per bucket in one run at most. A bucket with more due than this is continued by
   * the next run: fired timers have left the index, so it starts with the oldest still due.
   */
  perBucket: number;
  /** Timers per Query page, and so per PutRecords call (which takes at most 500). */
  perPage: number;
  /** UpdateItem calls in flight per bucket while marking a page fired. */
  concurrentMarks: number;
}

export const DEFAULT_TIMER_SWEEP_LIMITS: TimerSweepLimits = {
  perBucket: 5_000,
  perPage: 500,
  concurrentMarks: 16,
};

export interface TimerSweepReport {
  /** Timers whose record was put into the stream. */
  fired: number;
  /** Put, but not taken out of the index (gone, re-armed, or being written): a later run may put them again. */
  notMarked: number;
  /** Index entries that do not hold a valid timer, taken out of the index without firing. */
  quarantined: number;
  /** Buckets that reached `perBucket` with more due: the next run continues them. */
  bucketsContinuedNextRun: number;
}

/**
 * The first half of firing: one TimerRecord per due timer into the events stream, under the
 * customer's partition key, so the timer reaches the customer's processor in order with their
 * other records. Returns once Kinesis has accepted every record (else throws, and the timers
 * stay due for the next run).
 */
export async function putTimerFirings(due: readonly DueTimer[], now: Date): Promise<void> {
  const records = due.map(({ timer }) => timerFiredRecord(timer, now.toISOString()));
  if (records.length > 0) await putRecordsDurably(records);
}

/**
 * The second half: takes each timer out of the due index, so the next run does not put it
 * again. Only ever called after `putTimerFirings` succeeded for the same timers.
 *
 * @returns how many were marked, and how many were not (see `markTimerFired`)
 */
export async function markTimersFired(
  due: readonly DueTimer[],
  now: Date,
  concurrency = DEFAULT_TIMER_SWEEP_LIMITS.concurrentMarks,
): Promise<{ marked: number; notMarked: number }> {
  const outcomes = await pMap(due, (queued) => markTimerFired(queued, now), { concurrency });
  const marked = outcomes.filter(Boolean).length;
  return { marked, notMarked: outcomes.length - marked };
}

/**
 * Fires every timer due at `now`: for each bucket of the `timer-due` index, page by page, the
 * due timers' records go into the stream first, then the timers leave the index. Only Queries
 * on the index: the work is proportional to the timers due, not to the timers pending, and
 * bounded per run by `limits.perBucket` (the next run continues where this one stopped).
 *
 * Crash safety: a run that dies before a page's put leaves its timers due, so the next run fires
 * them; one that dies between the put and the marks leaves them due too, so the next run puts
 * them again, and the processor drops the repeat because the timer id is the record's message
 * id. Nothing is lost and nothing takes effect twice.
 */
export async function sweepDueTimers(
  now: Date,
  limits: TimerSweepLimits = DEFAULT_TIMER_SWEEP_LIMITS,
): Promise<TimerSweepReport> {
  const buckets = Array.from({ length: CUSTOMERS_TABLE.timerBuckets }, (_, bucket) => bucket);
  const perBucket = await Promise.all(buckets.map((bucket) => sweepBucket(bucket, now, limits)));
  const report: TimerSweepReport = { fired: 0, notMarked: 0, quarantined: 0, bucketsContinuedNextRun: 0 };
  for (const bucket of perBucket) {
    report.fired += bucket.fired;
    report.notMarked += bucket.notMarked;
    report.quarantined += bucket.quarantined;
    if (bucket.continued) report.bucketsContinuedNextRun += 1;
  }
  return report;
}

async function sweepBucket(bucket: number, now: Date, limits: TimerSweepLimits) {
  const result = { fired: 0, notMarked: 0, quarantined: 0, continued: false };
  let swept = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dueTimers(bucket, now, Math.min(limits.perPage, limits.perBucket - swept), startKey);
    await putTimerFirings(page.due, now);
    const { notMarked } = await markTimersFired(page.due, now, limits.concurrentMarks);
    result.fired += page.due.length;
    result.notMarked += notMarked;
    if (page.unreadable.length > 0) {
      for (const queued of page.unreadable) if (await quarantineTimer(queued, now)) result.quarantined += 1;
      logger.error('unreadable timers taken out of the due index', { bucket, count: page.unreadable.length });
    }
    swept += page.due.length + page.unreadable.length;
    startKey = page.nextStartKey;
  } while (startKey !== undefined && swept < limits.perBucket);
  // At the limit, DynamoDB returns a LastEvaluatedKey whether or not more items follow.
  result.continued = startKey !== undefined;
  return result;
}
