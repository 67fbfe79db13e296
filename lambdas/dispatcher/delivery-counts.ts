import type { DeliveryCounts, DeliveryMetricName } from '../adapters/metrics.js';
import type { DeliveryAttempt, DeliveryOutcome } from './deliver-action.js';

/** An attempt another worker had claimed is counted by that worker. */
const METRIC_OF: Record<Exclude<DeliveryOutcome, 'not_ours'>, DeliveryMetricName> = {
  delivered: 'delivered',
  retry_scheduled: 'retried',
  dead_lettered: 'dead_lettered',
  cancelled: 'cancelled',
};

/** `DeliveryCounts` while it is being counted. */
interface Tally {
  tenantId: string;
  channel: string;
  counts: Partial<Record<DeliveryMetricName, number>>;
  latenciesMs: number[];
}

/**
 * Counts delivery attempts per tenant and channel, with the latency of each delivered action,
 * for the metrics adapter. Used by the dispatcher (first attempts) and the sweeper (retries).
 */
export function countDeliveries(attempts: readonly DeliveryAttempt[]): DeliveryCounts[] {
  const byDimensions = new Map<string, Tally>();
  for (const attempt of attempts) {
    if (attempt.outcome === 'not_ours') continue;
    const { tenantId, channel } = attempt;
    const key = JSON.stringify([tenantId, channel]);
    const entry = byDimensions.get(key) ?? { tenantId, channel, counts: {}, latenciesMs: [] };
    const name = METRIC_OF[attempt.outcome];
    entry.counts[name] = (entry.counts[name] ?? 0) + 1;
    if (attempt.outcome === 'delivered') entry.latenciesMs.push(attempt.latencyMs);
    byDimensions.set(key, entry);
  }
  return [...byDimensions.values()];
}
