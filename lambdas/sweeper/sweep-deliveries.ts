import pMap from 'p-map';
import { dueDeliveries } from '../adapters/outbox-store.js';
import { CUSTOMERS_TABLE } from '../adapters/table-design.js';
import { attemptDelivery, type DeliveryOutcome } from '../dispatcher/deliver-action.js';

export interface SweepReport {
  due: number;
  outcomes: Record<DeliveryOutcome, number>;
}

/**
 * Retries every delivery that is due: failed attempts whose backoff has passed, attempts
 * whose dispatcher died mid-way, and new actions the dispatcher never saw. Reads only the
 * sparse `delivery-queue` index, never the table.
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
  await pMap(
    due,
    async (queued) => {
      outcomes[await attemptDelivery(queued.key, queued.attempts, now)] += 1;
    },
    { concurrency: 10 },
  );
  return { due: due.length, outcomes };
}
