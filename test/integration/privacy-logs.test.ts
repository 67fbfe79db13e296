import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { actionSortKey, listActions } from '../../lambdas/adapters/customer-store.js';
import { putRecordsDurably } from '../../lambdas/adapters/event-stream.js';
import { logger } from '../../lambdas/adapters/logger.js';
import { resetMetricsForTests } from '../../lambdas/adapters/metrics.js';
import { createPrivacyKey } from '../../lambdas/adapters/privacy-key-store.js';
import { signPrivacyToken } from '../../lambdas/core/privacy/privacy-token.js';
import { handler as customerApi } from '../../lambdas/customer-api/handler.js';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import { handler as ingest } from '../../lambdas/ingest/handler.js';
import { handler as privacyApi } from '../../lambdas/privacy-api/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, seedTenant } from './support/seed.js';
import { insertRecordOf } from './support/table-stream.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

let resources: FreshResources;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  resources = await freshResources('privacy-logs');
  // Metrics on, as in AWS: their EMF lines go to stdout with the logs and are checked with them.
  pointAdaptersAt(resources, { DELIVERY_TIMEOUT_MS: '2000', POWERTOOLS_METRICS_DISABLED: 'false' });
  resetMetricsForTests();
  // Refuses every delivery: the dispatcher's failure path logs too.
  receiver = await startWebhookReceiver({ status: 500 });
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  resetMetricsForTests();
  await receiver.close();
  await deleteResources(resources);
});

/** Everything written to stdout and stderr (Powertools' logger writes JSON lines there) while `run` runs. */
async function captureOutput(run: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const level = logger.getLevelName();
  // Tests run quieter than a function in AWS: every level is under test here.
  logger.setLogLevel('DEBUG');
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await run();
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
    logger.setLogLevel(level);
  }
  return chunks.join('');
}

describe('logs', () => {
  it('carry no email, phone, trait value or customer id through ingest, processor, dispatcher, customer and privacy APIs, metrics included', async () => {
    const tenant = await seedTenant({
      tenantId: `logs-${randomUUID().slice(0, 6)}`,
      journeys: [cartReminder],
      webhook: { url: receiver.url, secret: `whsec_${randomUUID()}` },
    });
    const { key: privacyApiKey } = await createApiKey(
      tenant.tenantId,
      { name: 'dpo', scopes: ['privacy'] },
      'test',
      new Date(),
    );
    const signingKey = await createPrivacyKey(tenant.tenantId, 'test', new Date());
    const userId = `user-${randomUUID()}`;
    const anonymousId = `device-${randomUUID()}`;
    const personal = {
      email: `${randomUUID().slice(0, 8)}@example.com`,
      phone: '+33612345678',
      secretTrait: `trait-${randomUUID()}`,
    };
    const iat = Math.floor(Date.now() / 1_000);
    const token = signPrivacyToken(
      { tenantId: tenant.tenantId, customerId: userId, iat, exp: iat + 600 },
      signingKey.kid,
      signingKey.secret,
    );
    const processAll = async () => {
      const records = await readAllRecords(resources.eventsStream);
      await processor({ Records: records }, {} as Context);
    };

    const output = await captureOutput(async () => {
      const track = (body: unknown, route = 'POST /v1/track') =>
        ingest(httpEvent(route, { writeKey: tenant.writeKey, body }), {} as Context);
      await track(
        {
          userId,
          anonymousId,
          traits: { email: personal.email, phone: personal.phone, note: personal.secretTrait },
        },
        'POST /v1/identify',
      );
      await track({ userId, event: 'cart_abandoned', properties: { total: 80, email: personal.email } });
      // Refused calls: invalid body carrying personal data.
      await track({ userId, event: 42, properties: { phone: personal.phone } });
      // A poison record in the stream, full of personal data.
      await putRecordsDurably([
        {
          kind: 'call',
          tenantId: tenant.tenantId,
          customerId: userId,
          receivedAt: 'not a date',
          call: { email: personal.email },
        } as never,
      ]);
      await processAll();
      const [action] = await listActions(tenant.tenantId, userId);
      expect(action).toBeDefined();
      const actionRecord = await insertRecordOf(
        resources.customersStreamArn,
        actionSortKey({ actionId: action?.actionId ?? '' }),
      );
      await dispatcher({ Records: [actionRecord] }, {} as Context);
      await customerApi(
        httpEvent('GET /v1/customers/{customerId}', {
          writeKey: tenant.writeKey,
          pathParameters: { customerId: userId },
        }),
        {} as Context,
      );
      await customerApi(
        httpEvent('GET /v1/customers/{customerId}', {
          writeKey: tenant.writeKey,
          pathParameters: { customerId: personal.email },
        }),
        {} as Context,
      );
      const me = (routeKey: string, bearer: string) =>
        privacyApi(httpEvent(routeKey, { headers: { authorization: `Bearer ${bearer}` } }), {} as Context);
      await me('GET /v1/me', token);
      await me('GET /v1/me/export', token);
      await me('GET /v1/me', `${token}x`);
      await me('POST /v1/me/erasure', token);
      await customerApi(
        httpEvent('DELETE /v1/customers/{customerId}', {
          headers: { authorization: `Bearer ${privacyApiKey}` },
          pathParameters: { customerId: personal.email },
        }),
        {} as Context,
      );
      await processAll();
    });

    // The capture saw the functions' logs and metrics (the dispatcher's `retried` among them)…
    expect(output).toContain('batch processed');
    expect(output).toContain('"CloudWatchMetrics"');
    expect(output).toContain('"retried":1');
    // …and none of the customer's data.
    for (const value of [userId, anonymousId, personal.email, personal.phone, personal.secretTrait])
      expect(output, value).not.toContain(value);
  });
});
