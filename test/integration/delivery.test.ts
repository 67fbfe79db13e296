import { randomUUID } from 'node:crypto';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { deadLetteredActions } from '../../lambdas/adapters/outbox-store.js';
import { verifyWebhookSignature } from '../../lambdas/core/webhook-signature.js';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import { sweepDueDeliveries } from '../../lambdas/sweeper/sweep-deliveries.js';
import type { Action } from '../../schemas/action.js';
import { TenantSettings } from '../../schemas/config-api.js';
import type { Webhook } from '../../schemas/tenant.js';
import { actionsSeenBy, fireCartReminder } from './support/actions.js';
import { deliveryTestBed } from './support/delivery-bed.js';
import { CONSENTING_SETTINGS, cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { insertRecordOf } from './support/table-stream.js';

const MAX_ATTEMPTS = 3;

const bed = deliveryTestBed('delivery', MAX_ATTEMPTS);
const receiver = bed.receiver;

/** A tenant of the test's own, with the cart reminder journey and, if given, a webhook. */
async function tenantWith(webhookUrl?: string): Promise<SeededTenant & { webhook?: Webhook }> {
  const tenantId = `shop-${randomUUID().slice(0, 8)}`;
  const webhook = webhookUrl === undefined ? undefined : { url: webhookUrl, secret: `whsec_${randomUUID()}` };
  const seeded = await seedTenant({
    tenantId,
    journeys: [cartReminder],
    ...(webhook === undefined ? {} : { webhook }),
  });
  return { ...seeded, ...(webhook === undefined ? {} : { webhook }) };
}

const fireAction = (tenant: SeededTenant) => fireCartReminder(bed.resources.eventsStream, tenant);

async function deliveryOf(tenant: SeededTenant, customerId: string) {
  return (await actionsSeenBy(tenant, customerId))[0]?.delivery;
}

/** Hands the dispatcher the INSERT record the customers table's stream holds for an action. */
async function dispatch(record: DynamoDBRecord) {
  return dispatcher({ Records: [record] }, {} as Context);
}

/** Runs the sweeper, as its schedule would, until the action's delivery settles (or `rounds` runs out). */
async function sweepUntilSettled(tenant: SeededTenant, customerId: string, rounds = MAX_ATTEMPTS + 2) {
  for (let round = 0; round < rounds; round += 1) {
    const status = (await deliveryOf(tenant, customerId))?.status;
    if (status === 'delivered' || status === 'dead_lettered') return;
    await sweepDueDeliveries(new Date());
  }
}

const withoutDelivery = ({ delivery: _, ...action }: Action) => action;
const nowSeconds = () => Math.floor(Date.now() / 1_000);

describe('delivering an action', () => {
  it('posts it to the tenant’s webhook, signed, with the action id as idempotency key', async () => {
    const hook = await receiver();
    const tenant = await tenantWith(hook.url);
    const otherTenant = await tenantWith();
    const { customerId, action, key } = await fireAction(tenant);

    expect(await dispatch(await insertRecordOf(bed.resources.customersStreamArn, key.sk))).toEqual({
      batchItemFailures: [],
    });

    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(request?.headers['idempotency-key']).toBe(action.actionId);
    expect(request?.headers['content-type']).toBe('application/json');
    const signature = String(request?.headers['ecoute-signature']);
    expect(
      verifyWebhookSignature(String(tenant.webhook?.secret), String(request?.body), signature, nowSeconds()),
    ).toBe(true);
    expect(
      verifyWebhookSignature('whsec_someone_else_entirely', String(request?.body), signature, nowSeconds()),
    ).toBe(false);
    expect(JSON.parse(String(request?.body))).toEqual(withoutDelivery(action));

    expect(await actionsSeenBy(tenant, customerId)).toEqual([
      {
        ...action,
        delivery: {
          status: 'delivered',
          attempts: 1,
          lastAttemptAt: expect.any(String),
          deliveredAt: expect.any(String),
        },
      },
    ]);
    // Another tenant asking about the same customer id reads under its own partition: nothing.
    expect(await actionsSeenBy(otherTenant, customerId)).toEqual([]);
  });

  it('sends nothing more when the stream hands the dispatcher the same INSERT again', async () => {
    const hook = await receiver();
    const tenant = await tenantWith(hook.url);
    const { customerId, key } = await fireAction(tenant);
    const insert = await insertRecordOf(bed.resources.customersStreamArn, key.sk);
    await dispatch(insert);
    expect(hook.requests).toHaveLength(1);

    expect(await dispatch(insert)).toEqual({ batchItemFailures: [] });
    await sweepDueDeliveries(new Date(Date.now() + 61_000));

    expect(hook.requests).toHaveLength(1);
    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('retries a webhook that fails twice until it answers 2xx, which it then does exactly once', async () => {
    const hook = await receiver({ failFirst: 2 });
    const tenant = await tenantWith(hook.url);
    const { customerId, action, key } = await fireAction(tenant);

    await dispatch(await insertRecordOf(bed.resources.customersStreamArn, key.sk));

    expect(await deliveryOf(tenant, customerId)).toMatchObject({
      status: 'retrying',
      attempts: 1,
      lastError: 'webhook answered HTTP 500',
    });

    await sweepUntilSettled(tenant, customerId);

    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(hook.requests.map((request) => request.status)).toEqual([500, 500, 200]);
    expect(hook.accepted()).toHaveLength(1);
    expect(new Set(hook.requests.map((request) => request.headers['idempotency-key']))).toEqual(
      new Set([action.actionId]),
    );
    await sweepDueDeliveries(new Date(Date.now() + 61_000));
    expect(hook.requests).toHaveLength(3);
  });

  it(`dead-letters an action whose webhook always fails, after ${MAX_ATTEMPTS} attempts`, async () => {
    const hook = await receiver({ status: 503 });
    const tenant = await tenantWith(hook.url);
    const { customerId, key } = await fireAction(tenant);

    await dispatch(await insertRecordOf(bed.resources.customersStreamArn, key.sk));
    await sweepUntilSettled(tenant, customerId);

    expect(await deliveryOf(tenant, customerId)).toMatchObject({
      status: 'dead_lettered',
      attempts: MAX_ATTEMPTS,
      lastError: 'webhook answered HTTP 503',
    });
    expect(hook.requests).toHaveLength(MAX_ATTEMPTS);
    expect(hook.accepted()).toHaveLength(0);
    expect(await deadLetteredActions(100)).toContainEqual({ key, attempts: MAX_ATTEMPTS });
    await sweepDueDeliveries(new Date(Date.now() + 3_600_000));
    expect(hook.requests).toHaveLength(MAX_ATTEMPTS);
  });

  it('delivers an action the dispatcher never saw, once its safety-net delay has passed', async () => {
    const hook = await receiver();
    const tenant = await tenantWith(hook.url);
    const { customerId, action } = await fireAction(tenant);

    await sweepDueDeliveries(new Date());
    expect(hook.requests).toHaveLength(0);
    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'pending', attempts: 0 });

    const later = new Date(Date.now() + 61_000);
    const report = await sweepDueDeliveries(later);

    expect(report.outcomes.delivered).toBeGreaterThanOrEqual(1);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(request?.headers['idempotency-key']).toBe(action.actionId);
    expect(
      verifyWebhookSignature(
        String(tenant.webhook?.secret),
        String(request?.body),
        String(request?.headers['ecoute-signature']),
        Math.floor(later.getTime() / 1_000),
      ),
    ).toBe(true);
    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('holds an action decided in quiet hours (defer) until they end, then the sweeper sends it once', async () => {
    const hook = await receiver();
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    // Quiet hours around now, in UTC (the customer has no time zone): the reminder must wait.
    const endsAt = Date.now() + 2 * 3_600_000;
    const tenant = await seedTenant({
      tenantId: `shop-${randomUUID().slice(0, 8)}`,
      journeys: [cartReminder],
      webhook: { url: hook.url, secret: `whsec_${randomUUID()}` },
      settings: TenantSettings.parse({
        ...CONSENTING_SETTINGS,
        quietHours: { start: hhmm(Date.now() - 3_600_000), end: hhmm(endsAt), mode: 'defer' },
      }),
    });
    const { customerId, action, key } = await fireAction(tenant);
    expect(action.deliverAt).toBe(`${new Date(endsAt).toISOString().slice(0, 16)}:00.000Z`);

    // The dispatcher sees it at once and leaves it; the sweeper before its time leaves it too.
    expect(await dispatch(await insertRecordOf(bed.resources.customersStreamArn, key.sk))).toEqual({
      batchItemFailures: [],
    });
    await sweepDueDeliveries(new Date(Date.parse(action.deliverAt as string) - 1_000));
    expect(hook.requests).toHaveLength(0);
    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'pending', attempts: 0 });

    await sweepDueDeliveries(new Date(Date.parse(action.deliverAt as string)));
    await sweepDueDeliveries(new Date(Date.parse(action.deliverAt as string) + 61_000));
    expect(hook.requests).toHaveLength(1);
    expect(JSON.parse(String(hook.requests[0]?.body))).toMatchObject({ deliverAt: action.deliverAt });
    expect(await deliveryOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('retries, then dead-letters with the reason, an action of a tenant without webhook', async () => {
    const tenant = await tenantWith();
    const { customerId, key } = await fireAction(tenant);

    await dispatch(await insertRecordOf(bed.resources.customersStreamArn, key.sk));

    expect(await deliveryOf(tenant, customerId)).toMatchObject({
      status: 'retrying',
      attempts: 1,
      lastError: 'the tenant has no webhook configured for the webhook channel',
    });

    await sweepUntilSettled(tenant, customerId);

    expect(await deliveryOf(tenant, customerId)).toMatchObject({
      status: 'dead_lettered',
      attempts: MAX_ATTEMPTS,
      lastError: 'the tenant has no webhook configured for the webhook channel',
    });
    expect(await deadLetteredActions(100)).toContainEqual({ key, attempts: MAX_ATTEMPTS });
  });
});
