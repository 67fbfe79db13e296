import { randomUUID } from 'node:crypto';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putActionDefinition } from '../../lambdas/adapters/action-catalog-store.js';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { listActions, loadCustomerState } from '../../lambdas/adapters/customer-store.js';
import { listDecisions, loadCapsHistory } from '../../lambdas/adapters/decision-items.js';
import { clearDecisionPolicyCache } from '../../lambdas/adapters/decision-policy-store.js';
import { customerItems } from '../../lambdas/adapters/erasure-store.js';
import { processKinesisBatch } from '../../lambdas/processor/process-batch.js';
import { ActionDefinition, TenantSettings } from '../../schemas/config-api.js';
import { pointAdaptersAt } from './support/adapters.js';
import { asKinesisRecord, trackCall } from './support/lambda-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { seedTenant } from './support/seed.js';

const KINESIS_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/**
 * Next best action through the processor, against DynamoDB Local: two journeys fire on one
 * event, the catalog's factors decide, caps count across batches, redelivery changes nothing.
 */

const TENANT = 'shop';
let resources: FreshResources;
let sequence = 1n;

beforeAll(async () => {
  resources = await freshResources('decisioning');
  pointAdaptersAt(resources);
  clearDecisionPolicyCache();
  await seedTenant({
    tenantId: TENANT,
    // Events are kept (analytics); the catalog's actions use the `service` purpose.
    settings: TenantSettings.parse({ consentDefaults: { analytics: true, service: true } }),
    journeys: [
      {
        id: 'cart-email-journey',
        name: 'Cart email',
        status: 'published',
        priority: 5,
        trigger: { event: 'cart_abandoned', conditions: [] },
        action: { id: 'cart-email', payload: {} },
      },
      {
        id: 'cart-coupon-journey',
        name: 'Cart coupon',
        status: 'published',
        priority: 1,
        trigger: { event: 'cart_abandoned', conditions: [] },
        action: { id: 'cart-coupon', payload: { coupon: 'SAVE10' } },
      },
    ],
  });
  const define = (id: string, fields: Record<string, unknown>) =>
    putActionDefinition(
      TENANT,
      ActionDefinition.parse({
        id,
        name: id,
        revision: 1,
        updatedAt: new Date().toISOString(),
        updatedBy: 'test',
        ...fields,
      }),
      undefined,
      [],
    );
  await define('cart-email', {
    purpose: 'service',
    value: 10,
    content: { subject: 'Hi {{ traits.firstName | default: "there" }}, {{ properties.total }} € waiting' },
    caps: [{ max: 2, per: '1d' }],
  });
  await define('cart-coupon', { purpose: 'service', value: 5, propensity: { kind: 'static', score: 0.5 } });
});

afterAll(async () => {
  resetClientsForTests();
  await deleteResources(resources);
});

function cartAbandoned(
  customerId: string,
  at: string,
  total: number,
  tenantId = TENANT,
  event = 'cart_abandoned',
  properties: Record<string, unknown> = { total },
): KinesisStreamRecord {
  sequence += 1n;
  return asKinesisRecord(
    trackCall(tenantId, customerId, event, at, properties),
    (KINESIS_BASE + sequence * 1_000_000n).toString(),
  );
}

describe('next best action in the processor', () => {
  it('sends the arbitration winner of two journeys and records the loser as suppressed, with factors', async () => {
    const customer = `c-${randomUUID()}`;
    const result = await processKinesisBatch([cartAbandoned(customer, '2026-03-10T12:00:00.000Z', 80)]);
    expect(result.batchItemFailures).toEqual([]);
    const actions = await listActions(TENANT, customer);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      action: 'cart-email',
      channel: 'webhook',
      purpose: 'service',
      payload: { subject: 'Hi there, 80 € waiting' },
    });
    const decisions = await listDecisions(TENANT, customer);
    expect(decisions).toHaveLength(2);
    const byAction = Object.fromEntries(decisions.map((decision) => [decision.action, decision]));
    expect(byAction['cart-email']).toMatchObject({
      outcome: 'taken',
      actionId: actions[0]?.actionId,
      factors: { priority: 5, propensity: 1, value: 10, contextWeight: 1, score: 50, rank: 1 },
      source: { kind: 'journey', journeyId: 'cart-email-journey' },
    });
    expect(byAction['cart-coupon']).toMatchObject({
      outcome: 'suppressed',
      reason: 'lost_arbitration',
      factors: { priority: 1, propensity: 0.5, value: 5, score: 2.5, rank: 2 },
    });
  });

  it("reports an intent decisioning suppressed as suppressed with its reason in the batch's journey metrics, not as an action", async () => {
    const customer = `c-${randomUUID()}`;
    const result = await processKinesisBatch([cartAbandoned(customer, '2026-03-10T12:00:00.000Z', 80)]);
    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary.actions).toBe(1);
    expect(result.summary.journeyMetrics).toMatchObject({
      [`${TENANT}/cart-email-journey:action`]: 1,
      [`${TENANT}/cart-coupon-journey:suppressed:lost_arbitration`]: 1,
    });
    expect(result.summary.journeyMetrics).not.toHaveProperty(`${TENANT}/cart-coupon-journey:action`);
    expect(result.summary.journeyMetrics).not.toHaveProperty(`${TENANT}/cart-coupon-journey:suppressed`);
  });

  it('stops the third email of the day across batches with its cap, the coupon taking its place', async () => {
    const customer = `c-${randomUUID()}`;
    for (const minute of ['00', '01', '02']) {
      const result = await processKinesisBatch([
        cartAbandoned(customer, `2026-03-10T12:${minute}:00.000Z`, 60),
      ]);
      expect(result.batchItemFailures).toEqual([]);
    }
    const sent = (await listActions(TENANT, customer)).map((action) => action.action).sort();
    expect(sent).toEqual(['cart-coupon', 'cart-email', 'cart-email']);
    const capped = (await listDecisions(TENANT, customer)).filter(
      (decision) => decision.reason === 'frequency_cap',
    );
    expect(capped).toEqual([
      expect.objectContaining({
        action: 'cart-email',
        cap: { id: 'action:cart-email:1d', max: 2, per: '1d', count: 2 },
      }),
    ]);
    expect(
      (await loadCapsHistory(TENANT, customer)).entries.filter((entry) => entry.kind === 'sent'),
    ).toHaveLength(3);
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const customer = `c-${randomUUID()}`;
    const batch = [
      cartAbandoned(customer, '2026-03-10T12:00:00.000Z', 80),
      cartAbandoned(customer, '2026-03-10T12:05:00.000Z', 90),
    ];
    await processKinesisBatch(batch);
    const before = {
      actions: await listActions(TENANT, customer),
      decisions: await listDecisions(TENANT, customer),
      caps: await loadCapsHistory(TENANT, customer),
      version: (await loadCustomerState(TENANT, customer))?.version,
    };
    expect(before.actions).toHaveLength(2);
    expect(before.decisions).toHaveLength(4);
    const again = await processKinesisBatch(batch);
    expect(again.summary).toMatchObject({ applied: 0, duplicates: 2, actions: 0 });
    expect(await listActions(TENANT, customer)).toEqual(before.actions);
    expect(await listDecisions(TENANT, customer)).toEqual(before.decisions);
    expect(await loadCapsHistory(TENANT, customer)).toEqual(before.caps);
    expect((await loadCustomerState(TENANT, customer))?.version).toBe(before.version);
  });

  it('counts a dismissal fed back through the stream, once however often it is delivered', async () => {
    const customer = `c-${randomUUID()}`;
    await processKinesisBatch([cartAbandoned(customer, '2026-03-10T12:00:00.000Z', 80)]);
    const [sent] = await listActions(TENANT, customer);
    const dismissal = cartAbandoned(customer, '2026-03-10T12:10:00.000Z', 0, TENANT, 'action_dismissed', {
      actionId: sent?.actionId,
    });
    await processKinesisBatch([dismissal]);
    await processKinesisBatch([dismissal]);
    const dismissed = (await loadCapsHistory(TENANT, customer)).entries.filter(
      (entry) => entry.kind === 'dismissed',
    );
    expect(dismissed).toEqual([
      expect.objectContaining({ action: 'cart-email', at: '2026-03-10T12:10:00.000Z' }),
    ]);
  });

  it('writes no caps item when nothing was sent or fed back', async () => {
    const customer = `c-${randomUUID()}`;
    const unknown = cartAbandoned(customer, '2026-03-10T12:10:00.000Z', 0, TENANT, 'action_viewed', {
      actionId: 'an-action-never-sent',
    });
    expect(await processKinesisBatch([unknown])).toMatchObject({
      batchItemFailures: [],
      summary: { applied: 1 },
    });
    const items = await customerItems(TENANT, customer);
    expect(items.map((item) => item.sk)).not.toContain('CAPS');
    expect(items.map((item) => item.sk)).toContain('STATE');
    // A send afterwards writes it, from version 0.
    await processKinesisBatch([cartAbandoned(customer, '2026-03-10T12:20:00.000Z', 80)]);
    expect(await loadCapsHistory(TENANT, customer)).toMatchObject({ version: 1 });
  });

  it('keeps actions and decisions for the tenant’s retention: firedAt + retentionDays', async () => {
    const tenantId = `keep30-${randomUUID().slice(0, 8)}`;
    await seedTenant({
      tenantId,
      settings: TenantSettings.parse({
        consentDefaults: { analytics: true, marketing: true },
        retentionDays: 30,
      }),
      journeys: [
        {
          id: 'cart-nudge',
          name: 'Cart nudge',
          status: 'published',
          trigger: { event: 'cart_abandoned', conditions: [] },
          action: { id: 'cart-nudge', payload: {} },
        },
      ],
    });
    const customer = `c-${randomUUID()}`;
    const firedAt = '2026-03-10T12:00:00.000Z';
    const result = await processKinesisBatch([cartAbandoned(customer, firedAt, 80, tenantId)]);
    expect(result.batchItemFailures).toEqual([]);
    const items = await customerItems(tenantId, customer);
    const expiresAtOf = (prefix: string) =>
      items.filter((item) => String(item.sk).startsWith(prefix)).map((item) => item.expiresAt);
    const expected = Date.parse(firedAt) / 1_000 + 30 * 86_400;
    expect(expiresAtOf('ACTION#')).toEqual([expected]);
    expect(expiresAtOf('DECISION#')).toEqual([expected]);
  });
});
