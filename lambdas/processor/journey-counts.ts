import type { JourneyCounts } from '../adapters/metrics.js';
import type { JourneyMetric } from '../core/journey-runtime.js';
import { HOLDOUT_ARM } from '../core/split.js';

/** Journey metrics one customer's records committed, with the tenant they belong to. */
export interface CommittedMetrics {
  tenantId: string;
  metrics: readonly JourneyMetric[];
}

/**
 * The metric names a journey metric counts in: its own name, and for a suppression also
 * `suppressed_<reason>`, so that `suppressed` is the total and the reasons its breakdown
 * (a holdout's suppression has no reason: `suppressed_holdout`).
 */
export function metricNamesOf(metric: JourneyMetric): string[] {
  if (metric.name !== 'suppressed') return [metric.name];
  return ['suppressed', `suppressed_${metric.reason ?? HOLDOUT_ARM}`];
}

/** The holdout, else the split variant; none before a split (an entry has no arm yet). */
function armOf(metric: JourneyMetric): string | undefined {
  return metric.holdout ? HOLDOUT_ARM : metric.variant;
}

/**
 * Counts a batch's journey metrics per tenant and journey, and again per tenant, journey and
 * A/B arm for the metrics that have one. Arms are bounded by the journey's configuration (at most
 * ten variants per split, plus the holdout), so the dimension combinations are too.
 *
 * @example
 * countJourneyMetrics([{ tenantId: 'acme', metrics: [{ journeyId: 'j', version: 1, name: 'action', variant: 'b' }] }]);
 * // [{ tenantId: 'acme', journeyId: 'j', counts: { action: 1 } },
 * //  { tenantId: 'acme', journeyId: 'j', variant: 'b', counts: { action: 1 } }]
 */
export function countJourneyMetrics(committed: Iterable<CommittedMetrics>): JourneyCounts[] {
  const byDimensions = new Map<string, JourneyCounts & { counts: Record<string, number> }>();
  const count = (tenantId: string, journeyId: string, variant: string | undefined, names: string[]) => {
    const key = JSON.stringify([tenantId, journeyId, variant ?? null]);
    const entry = byDimensions.get(key) ?? {
      tenantId,
      journeyId,
      ...(variant === undefined ? {} : { variant }),
      counts: {},
    };
    for (const name of names) entry.counts[name] = (entry.counts[name] ?? 0) + 1;
    byDimensions.set(key, entry);
  };
  for (const { tenantId, metrics } of committed) {
    for (const metric of metrics) {
      const names = metricNamesOf(metric);
      count(tenantId, metric.journeyId, undefined, names);
      const arm = armOf(metric);
      if (arm !== undefined) count(tenantId, metric.journeyId, arm, names);
    }
  }
  return [...byDimensions.values()];
}
