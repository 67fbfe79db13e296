import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMetrics,
  publishBatchMetrics,
  publishDeliveryMetrics,
} from '../../lambdas/adapters/metrics.js';
import type { JourneyMetric } from '../../lambdas/core/journey-runtime.js';
import { countDeliveries } from '../../lambdas/dispatcher/delivery-counts.js';
import { countJourneyMetrics } from '../../lambdas/processor/journey-counts.js';

interface EmfDocument {
  namespace: string;
  dimensions: Record<string, string>;
  values: Record<string, number | number[]>;
  units: Record<string, string>;
}

/** The EMF documents Powertools writes to stdout while `run` runs, read back the way CloudWatch reads them. */
function emfWrittenBy(run: () => void): EmfDocument[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((line) => {
    const emf = JSON.parse(line);
    const [directive, ...others] = emf._aws.CloudWatchMetrics;
    expect(others).toEqual([]);
    // One dimension set per document: every metric of it is counted under the same dimensions.
    expect(directive.Dimensions).toHaveLength(1);
    const definitions = directive.Metrics as { Name: string; Unit: string }[];
    return {
      namespace: directive.Namespace,
      dimensions: Object.fromEntries(directive.Dimensions[0].map((name: string) => [name, emf[name]])),
      values: Object.fromEntries(definitions.map(({ Name }) => [Name, emf[Name]])),
      units: Object.fromEntries(definitions.map(({ Name, Unit }) => [Name, Unit])),
    };
  });
}

function enabledMetrics() {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  return createMetrics();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const metric = (
  journeyId: string,
  name: JourneyMetric['name'],
  more: Partial<JourneyMetric> = {},
): JourneyMetric => ({
  journeyId,
  version: 1,
  name,
  ...more,
});

describe('journey metrics as EMF', () => {
  it('publishes batch counts, then per-journey counts per tenant, then per A/B arm', () => {
    const journeys = countJourneyMetrics([
      {
        tenantId: 'acme',
        metrics: [
          metric('cart-reminder', 'entered'),
          metric('cart-reminder', 'action', { stepId: 'nudge', variant: 'b' }),
          metric('cart-reminder', 'suppressed', { stepId: 'nudge', variant: 'b', reason: 'frequency_cap' }),
          metric('welcome', 'entered'),
          metric('welcome', 'waiting', { stepId: 'pause' }),
        ],
      },
      {
        tenantId: 'acme',
        metrics: [
          metric('cart-reminder', 'entered'),
          metric('cart-reminder', 'suppressed', { stepId: 'nudge', holdout: true }),
          metric('cart-reminder', 'goal', { variant: 'b', holdout: true }),
        ],
      },
      { tenantId: 'globex', metrics: [metric('welcome', 'entered')] },
    ]);

    const documents = emfWrittenBy(() =>
      publishBatchMetrics({ applied: 7, duplicates: 1, failed: 2, erased: 0, journeys }, enabledMetrics()),
    );

    expect(documents.map(({ namespace }) => namespace)).toEqual(documents.map(() => 'Ecoute'));
    expect(documents.map(({ dimensions, values }) => ({ dimensions, values }))).toEqual([
      {
        dimensions: { service: 'ecoute' },
        values: { records_applied: 7, records_duplicate: 1, records_failed: 2, customers_erased: 0 },
      },
      {
        dimensions: { service: 'ecoute', tenantId: 'acme', journeyId: 'cart-reminder' },
        values: {
          entered: 2,
          action: 1,
          suppressed: 2,
          suppressed_frequency_cap: 1,
          suppressed_holdout: 1,
          goal: 1,
        },
      },
      {
        dimensions: { service: 'ecoute', tenantId: 'acme', journeyId: 'cart-reminder', variant: 'b' },
        values: { action: 1, suppressed: 1, suppressed_frequency_cap: 1 },
      },
      {
        dimensions: { service: 'ecoute', tenantId: 'acme', journeyId: 'welcome' },
        values: { entered: 1, waiting: 1 },
      },
      {
        // A holdout member's goal counts for the holdout, whatever variant it was split into before.
        dimensions: { service: 'ecoute', tenantId: 'acme', journeyId: 'cart-reminder', variant: 'holdout' },
        values: { suppressed: 1, suppressed_holdout: 1, goal: 1 },
      },
      {
        dimensions: { service: 'ecoute', tenantId: 'globex', journeyId: 'welcome' },
        values: { entered: 1 },
      },
    ]);
    expect(new Set(documents.flatMap(({ units }) => Object.values(units)))).toEqual(new Set(['Count']));
  });

  it('splits a journey with more metric names than one EMF document holds, each part under its dimensions', () => {
    const counts = Object.fromEntries(Array.from({ length: 150 }, (_, at) => [`suppressed_reason_${at}`, 1]));

    const documents = emfWrittenBy(() =>
      publishBatchMetrics(
        {
          applied: 1,
          duplicates: 0,
          failed: 0,
          erased: 0,
          journeys: [{ tenantId: 'acme', journeyId: 'welcome', counts }],
        },
        enabledMetrics(),
      ),
    );

    const journeyDocuments = documents.filter(({ dimensions }) => dimensions.journeyId === 'welcome');
    expect(documents).toHaveLength(1 + journeyDocuments.length);
    expect(journeyDocuments.length).toBeGreaterThan(1);
    for (const { values } of journeyDocuments) expect(Object.keys(values).length).toBeLessThanOrEqual(100);
    expect(Object.assign({}, ...journeyDocuments.map(({ values }) => values))).toEqual(counts);
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is set, as locally and in other tests', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const documents = emfWrittenBy(() =>
      publishBatchMetrics({ applied: 1, duplicates: 0, failed: 0, erased: 0, journeys: [] }, createMetrics()),
    );
    expect(documents).toEqual([]);
  });
});

describe('delivery metrics as EMF', () => {
  it('counts attempts per tenant and channel, retries as `retried`, and leaves out attempts another worker claimed', () => {
    expect(
      countDeliveries([
        { outcome: 'delivered', tenantId: 'acme', channel: 'email', latencyMs: 120 },
        { outcome: 'not_ours' },
        { outcome: 'retry_scheduled', tenantId: 'acme', channel: 'email' },
        { outcome: 'delivered', tenantId: 'acme', channel: 'email', latencyMs: 340 },
        { outcome: 'dead_lettered', tenantId: 'acme', channel: 'sms' },
        { outcome: 'cancelled', tenantId: 'globex', channel: 'email' },
      ]),
    ).toEqual([
      { tenantId: 'acme', channel: 'email', counts: { delivered: 2, retried: 1 }, latenciesMs: [120, 340] },
      { tenantId: 'acme', channel: 'sms', counts: { dead_lettered: 1 }, latenciesMs: [] },
      { tenantId: 'globex', channel: 'email', counts: { cancelled: 1 }, latenciesMs: [] },
    ]);
  });

  it('publishes outcomes and latencies per tenant and channel', () => {
    const documents = emfWrittenBy(() =>
      publishDeliveryMetrics(
        [
          {
            tenantId: 'acme',
            channel: 'email',
            counts: { delivered: 2, retried: 1 },
            latenciesMs: [120, 340],
          },
          { tenantId: 'acme', channel: 'sms', counts: { dead_lettered: 1, cancelled: 1 }, latenciesMs: [] },
        ],
        enabledMetrics(),
      ),
    );

    expect(documents).toEqual([
      {
        namespace: 'Ecoute',
        dimensions: { service: 'ecoute', tenantId: 'acme', channel: 'email' },
        values: { delivered: 2, retried: 1, delivery_latency: [120, 340] },
        units: { delivered: 'Count', retried: 'Count', delivery_latency: 'Milliseconds' },
      },
      {
        namespace: 'Ecoute',
        dimensions: { service: 'ecoute', tenantId: 'acme', channel: 'sms' },
        values: { dead_lettered: 1, cancelled: 1 },
        units: { dead_lettered: 'Count', cancelled: 'Count' },
      },
    ]);
  });

  it('keeps the dimensions on every latency when a batch delivers more than 100 actions of one channel', () => {
    const latenciesMs = Array.from({ length: 250 }, (_, at) => at);

    const documents = emfWrittenBy(() =>
      publishDeliveryMetrics(
        [{ tenantId: 'acme', channel: 'email', counts: { delivered: 250 }, latenciesMs }],
        enabledMetrics(),
      ),
    );

    expect(documents.length).toBeGreaterThan(2);
    for (const { dimensions } of documents)
      expect(dimensions).toEqual({ service: 'ecoute', tenantId: 'acme', channel: 'email' });
    const published = documents.flatMap(({ values }) => [values.delivery_latency ?? []].flat());
    expect(published).toEqual(latenciesMs);
  });
});
