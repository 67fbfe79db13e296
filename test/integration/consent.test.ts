import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamo, resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import {
  actionSortKey,
  customerPartition,
  loadCustomerState,
  saveCustomerOutcome,
} from '../../lambdas/adapters/customer-store.js';
import { timerSortKey } from '../../lambdas/adapters/timer-items.js';
import { handler as customerApi } from '../../lambdas/customer-api/handler.js';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import type { HttpResult } from '../../lambdas/http/responses.js';
import { handler as ingest } from '../../lambdas/ingest/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import type { Action } from '../../schemas/action.js';
import { TenantSettings } from '../../schemas/config-api.js';
import type { JourneyInput } from '../../schemas/journey.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { CONSENTING_SETTINGS, cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { recordsOfCustomers } from './support/stream-events.js';
import { insertRecordOf } from './support/table-stream.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/** Consent end to end: consent API → stream → processor → ledger, history, withdrawal, send gate. */

let resources: FreshResources;
const receivers: Awaited<ReturnType<typeof startWebhookReceiver>>[] = [];

beforeAll(async () => {
  resources = await freshResources('consent');
  pointAdaptersAt(resources);
});

afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await deleteResources(resources);
  resetClientsForTests();
});

/** Sends a reminder, waits a day, sends a second one: a journey that is waiting after its first action. */
const twoReminders: JourneyInput = {
  id: 'two-reminders',
  name: 'Two reminders',
  status: 'published',
  entry: { kind: 'event', event: 'cart_abandoned' },
  start: 'first',
  steps: {
    first: { type: 'action', action: { id: 'first-reminder' }, next: 'wait' },
    wait: { type: 'wait', duration: '1d', next: 'second' },
    second: { type: 'action', action: { id: 'second-reminder' } },
  },
};

async function tenant(
  options: { journeys?: JourneyInput[]; settings?: TenantSettings; webhookUrl?: string } = {},
) {
  return seedTenant({
    tenantId: `shop-${randomUUID().slice(0, 8)}`,
    journeys: options.journeys ?? [],
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.webhookUrl === undefined
      ? {}
      : { webhook: { url: options.webhookUrl, secret: `whsec_${randomUUID()}` } }),
  });
}

async function api(routeKey: string, seeded: SeededTenant, customerId: string, body?: unknown) {
  const response = (await customerApi(
    httpEvent(routeKey, {
      writeKey: seeded.writeKey,
      pathParameters: { customerId },
      ...(body === undefined ? {} : { body }),
    }),
    {} as Context,
  )) as HttpResult;
  return {
    status: response.statusCode,
    body: response.body === undefined ? undefined : JSON.parse(String(response.body)),
  };
}

/** Runs the processor over every record of the customer in the stream (earlier ones are redeliveries). */
async function processCustomer(customerId: string) {
  const records = await recordsOfCustomers(resources.eventsStream, [customerId]);
  expect(await processor({ Records: records }, {} as Context)).toEqual({ batchItemFailures: [] });
  return records;
}

async function track(seeded: SeededTenant, customerId: string, event: string, properties = {}) {
  const response = await ingest(
    httpEvent('POST /v1/track', {
      writeKey: seeded.writeKey,
      body: { userId: customerId, event, properties },
    }),
    {} as Context,
  );
  expect(response).toMatchObject({ statusCode: 200 });
}

async function item(customerId: string, seeded: SeededTenant, sk: string) {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: resources.customersTable,
      Key: { pk: customerPartition(seeded.tenantId, customerId), sk },
      ConsistentRead: true,
    }),
  );
  return Item;
}

const change = {
  purposes: { analytics: 'granted', marketing: 'denied' },
  channels: { email: 'granted' },
  at: '2026-03-01T10:00:00.000Z',
  source: 'preference-centre',
  policyVersion: 'privacy-v3',
  proof: 'banner-2026-02',
};

describe('the consent API', () => {
  it('puts the change in the stream (202); once processed, GET shows the ledger and its history', async () => {
    const seeded = await tenant({ settings: TenantSettings.parse({}) });
    const customerId = `user-${randomUUID()}`;
    const put = await api('PUT /v1/customers/{customerId}/consent', seeded, customerId, change);
    expect(put).toEqual({ status: 202, body: { changeId: expect.any(String), status: 'accepted' } });
    await processCustomer(customerId);

    const read = await api('GET /v1/customers/{customerId}/consent', seeded, customerId);
    expect(read.status).toBe(200);
    expect(read.body.consent.purposes).toEqual({
      analytics: {
        status: 'granted',
        at: change.at,
        source: change.source,
        policyVersion: 'privacy-v3',
        proof: 'banner-2026-02',
      },
      marketing: {
        status: 'denied',
        at: change.at,
        source: change.source,
        policyVersion: 'privacy-v3',
        proof: 'banner-2026-02',
      },
    });
    expect(read.body.consent.channels.email.status).toBe('granted');
    expect(read.body.history).toEqual([
      { ...change, changeId: put.body.changeId, receivedAt: expect.any(String) },
    ]);
  });

  it('adds no second history item when the consent record is delivered again', async () => {
    const seeded = await tenant();
    const customerId = `user-${randomUUID()}`;
    await api('PUT /v1/customers/{customerId}/consent', seeded, customerId, change);
    const records = await processCustomer(customerId);
    expect(await processor({ Records: [...records, ...records] }, {} as Context)).toEqual({
      batchItemFailures: [],
    });
    const read = await api('GET /v1/customers/{customerId}/consent', seeded, customerId);
    expect(read.body.history).toHaveLength(1);
  });

  it('refuses an unknown purpose or channel, or a change without source or time, and writes nothing', async () => {
    const seeded = await tenant({ settings: TenantSettings.parse({ purposes: ['research'] }) });
    const customerId = `user-${randomUUID()}`;
    const put = (body: unknown) => api('PUT /v1/customers/{customerId}/consent', seeded, customerId, body);
    expect(await put({ ...change, purposes: { telepathy: 'granted' } })).toMatchObject({
      status: 422,
      body: { code: 'unknown_purpose', path: 'purposes.telepathy' },
    });
    expect(await put({ ...change, channels: { fax: 'granted' } })).toMatchObject({
      status: 400,
      body: { code: 'invalid_request', path: 'channels' },
    });
    const { source: _source, ...withoutSource } = change;
    expect(await put(withoutSource)).toMatchObject({ status: 400, body: { path: 'source' } });
    const { at: _at, ...withoutTime } = change;
    expect(await put(withoutTime)).toMatchObject({ status: 400, body: { path: 'at' } });
    expect(await recordsOfCustomers(resources.eventsStream, [customerId])).toEqual([]);
    expect((await api('GET /v1/customers/{customerId}/consent', seeded, customerId)).status).toBe(404);
    // The tenant's own purpose is known.
    expect((await put({ ...change, purposes: { research: 'granted' } })).status).toBe(202);
  });
});

describe('consent on arrival', () => {
  it('drops an event without consent (opt-in tenant): no profile, no journey, only a count', async () => {
    const seeded = await tenant({ journeys: [cartReminder], settings: TenantSettings.parse({}) });
    const customerId = `user-${randomUUID()}`;
    await track(seeded, customerId, 'cart_abandoned', { total: 80 });
    await processCustomer(customerId);
    const state = await loadCustomerState(seeded.tenantId, customerId);
    expect(state).toMatchObject({ eventCount: 0, droppedWithoutConsent: 1, journeys: {} });
    expect((await api('GET /v1/customers/{customerId}/actions', seeded, customerId)).body.actions).toEqual(
      [],
    );
  });

  it('keeps an event whose context carries the grant, and records the grant', async () => {
    const seeded = await tenant({ settings: TenantSettings.parse({}) });
    const customerId = `user-${randomUUID()}`;
    const response = await ingest(
      httpEvent('POST /v1/track', {
        writeKey: seeded.writeKey,
        headers: { 'sec-gpc': '1' },
        body: {
          userId: customerId,
          event: 'Product Viewed',
          context: { consent: { categoryPreferences: { Analytics: true, Advertising: true } } },
        },
      }),
      {} as Context,
    );
    expect(response).toMatchObject({ statusCode: 200 });
    await processCustomer(customerId);
    expect(await loadCustomerState(seeded.tenantId, customerId)).toMatchObject({ eventCount: 1 });
    const read = await api('GET /v1/customers/{customerId}/consent', seeded, customerId);
    expect(read.body.consent.purposes.analytics.status).toBe('granted');
    // Sec-GPC: 1 at ingest is recorded as a GPC signal with the same change.
    expect(read.body.consent.gpc).toBeDefined();
    expect(read.body.history).toHaveLength(1);
  });
});

describe('withdrawal', () => {
  it('exits the journey during its wait: its timer and its undelivered action are cancelled', async () => {
    const seeded = await tenant({ journeys: [twoReminders] });
    const customerId = `user-${randomUUID()}`;
    await track(seeded, customerId, 'cart_abandoned');
    await processCustomer(customerId);
    const state = await loadCustomerState(seeded.tenantId, customerId);
    const instance = Object.values(state?.instances ?? {})[0];
    const timerId = String(instance?.waiting?.timerId);
    expect(await item(customerId, seeded, timerSortKey(timerId))).toBeDefined();
    const [action] = (await api('GET /v1/customers/{customerId}/actions', seeded, customerId)).body
      .actions as Action[];
    expect(action?.delivery.status).toBe('pending');

    const withdrawal = {
      purposes: { marketing: 'denied' },
      at: new Date().toISOString(),
      source: 'email-footer',
    };
    expect((await api('PUT /v1/customers/{customerId}/consent', seeded, customerId, withdrawal)).status).toBe(
      202,
    );
    await processCustomer(customerId);

    expect((await loadCustomerState(seeded.tenantId, customerId))?.instances).toBeUndefined();
    expect(await item(customerId, seeded, timerSortKey(timerId))).toBeUndefined();
    const [cancelled] = (await api('GET /v1/customers/{customerId}/actions', seeded, customerId)).body
      .actions as Action[];
    expect(cancelled?.delivery).toMatchObject({ status: 'cancelled', lastError: 'withdrawn' });
    const actionItem = await item(customerId, seeded, actionSortKey(cancelled as Action));
    expect(actionItem?.queue).toBeUndefined();
  });

  it('refuses the webhook at send time when consent was withdrawn after the action was written', async () => {
    const hook = await startWebhookReceiver();
    receivers.push(hook);
    const seeded = await tenant({
      journeys: [cartReminder],
      settings: CONSENTING_SETTINGS,
      webhookUrl: hook.url,
    });
    const customerId = `user-${randomUUID()}`;
    await track(seeded, customerId, 'cart_abandoned', { total: 80 });
    await processCustomer(customerId);
    const [action] = (await api('GET /v1/customers/{customerId}/actions', seeded, customerId)).body
      .actions as Action[];
    // The withdrawal is committed, but its follow-up (cancelling undelivered actions) has not run:
    // as when the processor stops between the two. Only the send gate stands in the way.
    const state = await loadCustomerState(seeded.tenantId, customerId);
    if (state === undefined) throw new Error('no state');
    const denied = {
      status: 'denied' as const,
      at: new Date(Date.now() - 1_000).toISOString(),
      source: 'call-centre',
    };
    await saveCustomerOutcome(
      state.version,
      { ...state, consent: { purposes: { marketing: denied }, channels: {} } },
      [],
    );

    const insert = await insertRecordOf(resources.customersStreamArn, actionSortKey(action as Action));
    expect(await dispatcher({ Records: [insert] }, {} as Context)).toEqual({ batchItemFailures: [] });
    expect(hook.requests).toHaveLength(0);
    const [after] = (await api('GET /v1/customers/{customerId}/actions', seeded, customerId)).body
      .actions as Action[];
    expect(after?.delivery).toMatchObject({ status: 'cancelled', lastError: 'withdrawn', attempts: 1 });
  });
});
