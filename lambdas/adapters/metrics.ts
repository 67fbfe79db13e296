import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of every Écoute metric (the CDK stack sets it as `POWERTOOLS_METRICS_NAMESPACE` too). */
export const METRICS_NAMESPACE = 'Ecoute';

/**
 * One journey's outcome counts in a batch, for one tenant: metric name (`entered`, `action`,
 * `suppressed_frequency_cap`…) → count. With `variant`, the counts of one A/B arm only (a split
 * variant, or the holdout). Dimension values come from configuration slugs and names, never from
 * a customer.
 */
export interface JourneyCounts {
  tenantId: string;
  journeyId: string;
  variant?: string;
  counts: Readonly<Record<string, number>>;
}

/** What one batch of the journey processor did, as plain counts. */
export interface BatchMetrics {
  applied: number;
  duplicates: number;
  failed: number;
  /** Customers erased by the batch. */
  erased: number;
  journeys: readonly JourneyCounts[];
}

export type DeliveryMetricName = 'delivered' | 'retried' | 'dead_lettered' | 'cancelled';

/** Delivery attempts of one tenant's actions on one channel. */
export interface DeliveryCounts {
  tenantId: string;
  channel: string;
  counts: Readonly<Partial<Record<DeliveryMetricName, number>>>;
  /** From each delivered action's `firedAt` to its delivery, in milliseconds. */
  latenciesMs: readonly number[];
}

interface Datum {
  name: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  value: number;
}

/**
 * EMF allows 100 metrics per document and 100 values per metric. Powertools publishes by itself
 * when a document reaches either, and that publish clears the dimensions the rest of the document
 * needed: publishing first, one short of the limit, keeps every value under its dimensions.
 */
const MAX_PER_DOCUMENT = 99;

let shared: Metrics | undefined;

/**
 * A Powertools metrics buffer writing EMF to stdout, where Lambda's log pipeline turns it into
 * CloudWatch metrics without a PutMetricData call. `POWERTOOLS_METRICS_DISABLED=true` (the local
 * stack, the tests) makes it write nothing; it is read here, when the buffer is created.
 */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ecoute' });
}

/** Created on first use, after the local host or a test has set the environment. */
function sharedMetrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}

/** Tests change `POWERTOOLS_METRICS_DISABLED` between files; they call this to have it read again. */
export function resetMetricsForTests(): void {
  shared = undefined;
}

/**
 * Publishes a processor batch: one EMF document with the batch's record counts (no dimension but
 * Powertools' `service`), then one per journey and tenant, and one per journey, tenant and A/B
 * arm, so that no document mixes dimension values and none exceeds the EMF limits.
 *
 * @example
 * publishBatchMetrics({ applied: 3, duplicates: 0, failed: 0, erased: 0, journeys: [
 *   { tenantId: 'acme', journeyId: 'cart-reminder', counts: { entered: 1, action: 1 } },
 * ] });
 */
export function publishBatchMetrics(batch: BatchMetrics, metrics: Metrics = sharedMetrics()): void {
  publishDocuments(
    metrics,
    {},
    counted({
      records_applied: batch.applied,
      records_duplicate: batch.duplicates,
      records_failed: batch.failed,
      customers_erased: batch.erased,
    }),
  );
  for (const { tenantId, journeyId, variant, counts } of batch.journeys) {
    const dimensions = { tenantId, journeyId, ...(variant === undefined ? {} : { variant }) };
    publishDocuments(metrics, dimensions, counted(counts));
  }
}

/**
 * Publishes delivery outcomes and latencies: one EMF document per tenant and channel (more when
 * a batch delivered more than the EMF limit of values per metric).
 */
export function publishDeliveryMetrics(
  deliveries: readonly DeliveryCounts[],
  metrics: Metrics = sharedMetrics(),
): void {
  for (const { tenantId, channel, counts, latenciesMs } of deliveries) {
    const latencies = latenciesMs.map((value) => ({
      name: 'delivery_latency',
      unit: MetricUnit.Milliseconds,
      value,
    }));
    publishDocuments(metrics, { tenantId, channel }, [...counted(counts), ...latencies]);
  }
}

function counted(counts: Readonly<Record<string, number | undefined>>): Datum[] {
  return Object.entries(counts).flatMap(([name, value]) =>
    value === undefined ? [] : [{ name, unit: MetricUnit.Count, value }],
  );
}

/** Writes `data` under one dimension set, in as many EMF documents as the limits ask for. */
function publishDocuments(
  metrics: Metrics,
  dimensions: Record<string, string>,
  data: readonly Datum[],
): void {
  const valuesByName = new Map<string, number>();
  const publish = () => {
    metrics.publishStoredMetrics();
    valuesByName.clear();
  };
  for (const { name, unit, value } of data) {
    const values = valuesByName.get(name) ?? 0;
    if (values === MAX_PER_DOCUMENT || (values === 0 && valuesByName.size === MAX_PER_DOCUMENT)) publish();
    // Dimensions are cleared by every publish: each document gets its own.
    if (valuesByName.size === 0 && Object.keys(dimensions).length > 0) metrics.addDimensions(dimensions);
    metrics.addMetric(name, unit, value);
    valuesByName.set(name, (valuesByName.get(name) ?? 0) + 1);
  }
  if (valuesByName.size > 0) publish();
}
