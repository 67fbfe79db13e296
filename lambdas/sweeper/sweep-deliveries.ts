import pMap from 'p-map';
import { publishDeliveryMetrics } from '../adapters/metrics.js';
import { dueDeliveries } from '../adapters/outbox-store.js';
import { CUSTOMERS_TABLE } from '../adapters/table-design.js';
import { attemptDelivery, type DeliveryOutcome } from '../dispatcher/deliver-action.js';
import { countDeliveries } from '../dispatcher/delivery-counts.js';

export interface SweepReport {
  due: number;
  outcomes: Record<DeliveryOutcome, number>;
}

/**
 * Retries every delivery that is due: failed attempts whose backoff has passed, attempts
 * whose dispatcher died mid-way, and new actions the dispatcher never saw. Reads only the
 * sparse `delivery-queue` index, never the table. Publishes the retries' outcomes as metrics,
 * like the dispatcher does for first attempts.
 */
export async function sweepDueDeliveries(now: Date, perBucketLimit = 200): Promise<SweepReport> {
  const buckets = Array.from({ length: CUSTOMERS_TABLE.retryBuckets }, (_, bucket) => bucket);
  const due = (await Promise.all(buckets.map((bucket) => dueDeliveries(bucket, now, perBucketLimit)))).flat();
  const outcomes: Record<DeliveryOutcome, number> = {
    delivered: 0,
    retry_scheduled: 0,
    dead_lettered: 0,
    not_ours: 0,
    cancelled: 0,
  };
  const attempts = await pMap(due, (queued) => attemptDelivery(queued.key, queued.attempts, now), {
    concurrency: 10,
  });
  for (const { outcome } of attempts) outcomes[outcome] += 1;
  publishDeliveryMetrics(countDeliveries(attempts));
  return { due: due.length, outcomes };
}
