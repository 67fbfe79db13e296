import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionSortKey, listActions } from '../../lambdas/adapters/customer-store.js';
import { resetMetricsForTests } from '../../lambdas/adapters/metrics.js';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import { handler as ingest } from '../../lambdas/ingest/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { recordsOfCustomers } from './support/stream-events.js';
import { insertRecordOf } from './support/table-stream.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

let resources: FreshResources;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let acme: SeededTenant;
let globex: SeededTenant;

beforeAll(async () => {
  resources = await freshResources('metrics');
  // The functions' EMF output is under test here: on, as in AWS, and captured.
  pointAdaptersAt(resources, { POWERTOOLS_METRICS_DISABLED: 'false', ALLOW_PRIVATE_WEBHOOKS: 'true' });
  resetMetricsForTests();
  receiver = await startWebhookReceiver();
  const webhook = { url: receiver.url, secret: `whsec_${randomUUID()}` };
  acme = await seedTenant({
    tenantId: `metrics-${randomUUID().slice(0, 6)}`,
    journeys: [cartReminder],
    webhook,
  });
  globex = await seedTenant({
    tenantId: `metrics-${randomUUID().slice(0, 6)}`,
    journeys: [cartReminder],
    webhook,
  });
});

afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  resetMetricsForTests();
  await receiver?.close();
  await deleteResources(resources);
});

interface EmfDocument {
  namespace: string;
  dimensions: Record<string, string>;
  values: Record<string, number | number[]>;
}

/** Everything written to stdout while `run` runs, and the EMF documents among it. */
async function outputOf(run: () => Promise<unknown>): Promise<{ text: string; emf: EmfDocument[] }> {
  const chunks: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = original;
  }
  const text = chunks.join('');
  const emf = text
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => {
      const document = JSON.parse(line);
      const [directive] = document._aws.CloudWatchMetrics;
      return {
        namespace: directive.Namespace,
        dimensions: Object.fromEntries(directive.Dimensions[0].map((name: string) => [name, document[name]])),
        values: Object.fromEntries(
          directive.Metrics.map(({ Name }: { Name: string }) => [Name, document[Name]]),
        ),
      };
    });
  return { text, emf };
}

async function track(tenant: SeededTenant, calls: Record<string, unknown>[]) {
  const response = await ingest(
    httpEvent('POST /v1/batch', {
      writeKey: tenant.writeKey,
      body: { batch: calls.map((call) => ({ type: 'track', messageId: randomUUID(), ...call })) },
    }),
    {} as Context,
  );
  expect(response).toMatchObject({ statusCode: 200 });
}

describe('metrics', () => {
  it('publish entered and action for the journey that fired, per tenant, and no customer id', async () => {
    const firing = `user-${randomUUID()}`;
    const anonymous = `device-${randomUUID()}`;
    const browsing = `user-${randomUUID()}`;
    await track(acme, [
      { userId: firing, anonymousId: anonymous, event: 'cart_abandoned', properties: { total: 80 } },
    ]);
    await track(globex, [{ userId: browsing, event: 'cart_abandoned', properties: { total: 10 } }]);
    const records = await recordsOfCustomers(resources.eventsStream, [firing, browsing]);
    expect(records).toHaveLength(2);

    const { text, emf } = await outputOf(() => processor({ Records: records }, {} as Context));

    expect(emf.every(({ namespace }) => namespace === 'Ecoute')).toBe(true);
    expect(emf).toContainEqual({
      namespace: 'Ecoute',
      dimensions: { service: 'ecoute' },
      values: { records_applied: 2, records_duplicate: 0, records_failed: 0, customers_erased: 0 },
    });
    expect(emf).toContainEqual({
      namespace: 'Ecoute',
      dimensions: { service: 'ecoute', tenantId: acme.tenantId, journeyId: 'cart-reminder' },
      values: { entered: 1, action: 1, completed: 1 },
    });
    // The other tenant's customer entered no journey: no journey document of theirs.
    expect(emf.filter(({ dimensions }) => dimensions.tenantId === globex.tenantId)).toEqual([]);
    for (const value of [firing, anonymous, browsing]) expect(text, value).not.toContain(value);
  });

  it('publish the delivery and its latency per tenant and channel from the dispatcher', async () => {
    const customer = `user-${randomUUID()}`;
    await track(acme, [{ userId: customer, event: 'cart_abandoned', properties: { total: 90 } }]);
    const records = await recordsOfCustomers(resources.eventsStream, [customer]);
    // The processor's metrics are the first test's subject: kept off the console here.
    await outputOf(() => processor({ Records: records }, {} as Context));
    const [action] = await listActions(acme.tenantId, customer);
    const insert = await insertRecordOf(
      resources.customersStreamArn,
      actionSortKey({ actionId: action?.actionId ?? '' }),
    );

    const { text, emf } = await outputOf(() => dispatcher({ Records: [insert] }, {} as Context));

    expect(receiver.accepted()).toHaveLength(1);
    expect(emf).toEqual([
      {
        namespace: 'Ecoute',
        dimensions: { service: 'ecoute', tenantId: acme.tenantId, channel: 'webhook' },
        values: { delivered: 1, delivery_latency: expect.any(Number) },
      },
    ]);
    expect(emf[0]?.values.delivery_latency).toBeGreaterThanOrEqual(0);
    expect(text).not.toContain(customer);
  });
});
