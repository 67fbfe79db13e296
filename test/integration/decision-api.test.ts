import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putActionDefinition } from '../../lambdas/adapters/action-catalog-store.js';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { putConfigDocument } from '../../lambdas/adapters/config-document-store.js';
import { listActions, saveCustomerOutcome } from '../../lambdas/adapters/customer-store.js';
import { listDecisions, loadCapsHistory } from '../../lambdas/adapters/decision-items.js';
import { clearDecisionPolicyCache } from '../../lambdas/adapters/decision-policy-store.js';
import { customerItems, loadTombstone } from '../../lambdas/adapters/erasure-store.js';
import { handler as decisionApi } from '../../lambdas/decision-api/handler.js';
import { processKinesisBatch } from '../../lambdas/processor/process-batch.js';
import { ApiError } from '../../schemas/api-error.js';
import { ActionDefinition, type GlobalCaps, type TenantSettings } from '../../schemas/config-api.js';
import { ConsentLedger } from '../../schemas/consent.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { DecideResponse } from '../../schemas/decision-api.js';
import type { StreamRecord } from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { asKinesisRecord, trackCall } from './support/lambda-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { type SeededTenant, seedTenant } from './support/seed.js';

/**
 * The decision API (pull) against DynamoDB Local, through its handler: the best offer for a
 * placement, consent and caps checked at the moment of asking, impressions counted exactly under
 * concurrent calls and shared with journeys' caps, tenants kept apart, bad input refused.
 */

let resources: FreshResources;
let shop: SeededTenant;
let other: SeededTenant;
let capped: SeededTenant;
const CAP = 3;

const audit = () => ({ by: 'test', now: new Date(), changes: [], truncated: false });

async function define(tenantId: string, id: string, fields: Record<string, unknown>) {
  const action = ActionDefinition.parse({
    id,
    name: id,
    revision: 1,
    updatedAt: new Date().toISOString(),
    updatedBy: 'test',
    ...fields,
  });
  await putActionDefinition(tenantId, action, undefined, []);
}

const settings = (fields: Partial<TenantSettings>) => ({ consentDefaults: { service: true }, ...fields });

beforeAll(async () => {
  resources = await freshResources('decision-api');
  pointAdaptersAt(resources);
  clearDecisionPolicyCache();
  // Settings are written below, each tenant's own (none from the seed).
  shop = await seedTenant({ tenantId: 'shop', settings: null });
  other = await seedTenant({ tenantId: 'other', settings: null });
  capped = await seedTenant({
    tenantId: 'capped',
    settings: null,
    journeys: [
      {
        id: 'cart-push-journey',
        name: 'Cart push',
        status: 'published',
        trigger: { event: 'cart_abandoned', conditions: [] },
        action: { id: 'cart-push', payload: {} },
      },
    ],
  });
  const goldUpsell = {
    purpose: 'service',
    channels: ['web', 'mobile'],
    placements: ['home-hero'],
    value: 20,
    content: { title: 'Hello {{ traits.firstName | default: "there" }}, gold members save 20%' },
    eligibility: { path: 'traits.tier', op: 'eq', value: 'gold' },
  };
  await define('shop', 'gold-upsell', goldUpsell);
  await define('shop', 'newsletter', {
    purpose: 'service',
    channels: ['web'],
    placements: ['home-hero'],
    value: 2,
    content: { title: 'Join our newsletter' },
  });
  await define('shop', 'flash-sale', {
    purpose: 'service',
    channels: ['web'],
    placements: ['banner'],
    caps: [{ max: CAP, per: '1d' }],
  });
  await define('shop', 'partner-offer', { purpose: 'marketing', channels: ['web'], placements: ['sidebar'] });
  await putConfigDocument(
    'shop',
    'settings',
    settings({ consentDefaults: { service: true, marketing: true } }),
    0,
    audit(),
  );
  // Another tenant with the same catalog entry, and nothing known of anyone.
  await define('other', 'gold-upsell', goldUpsell);
  await putConfigDocument('other', 'settings', settings({}), 0, audit());
  // One cap for everything: a web impression and a journey's push count against the same one.
  await define('capped', 'web-offer', { purpose: 'service', channels: ['web'], placements: ['home-hero'] });
  await define('capped', 'cart-push', { purpose: 'service', channels: ['push'] });
  await putConfigDocument(
    'capped',
    'settings',
    // Analytics too: the journey's event must be kept for the push to be decided at all.
    settings({ consentDefaults: { service: true, analytics: true }, channelConsentDefaults: { push: true } }),
    0,
    audit(),
  );
  const caps: GlobalCaps = { caps: [{ id: 'one-a-day', channel: 'all', max: 1, per: '1d' }] };
  await putConfigDocument('capped', 'caps', caps, 0, audit());
});

afterAll(async () => {
  resetClientsForTests();
  await deleteResources(resources);
});

type Answer = { statusCode: number; body: string; headers?: Record<string, string> };

async function pull(
  tenant: SeededTenant | { bearer: string },
  query: Record<string, string>,
): Promise<Answer> {
  const auth =
    'bearer' in tenant
      ? { headers: { authorization: `Bearer ${tenant.bearer}` } }
      : { writeKey: tenant.writeKey };
  const event = { ...httpEvent('GET /v1/decide', auth), queryStringParameters: query };
  return (await decisionApi(event, {} as Context)) as Answer;
}

async function decided(tenant: SeededTenant, query: Record<string, string>): Promise<DecideResponse> {
  const answer = await pull(tenant, query);
  expect(answer.statusCode, answer.body).toBe(200);
  return DecideResponse.parse(JSON.parse(answer.body));
}

/** Writes a customer's state as the processor would (it is the state's only writer). */
async function customer(tenantId: string, customerId: string, fields: Partial<CustomerState>) {
  const at = new Date().toISOString();
  await saveCustomerOutcome(
    undefined,
    {
      tenantId,
      customerId,
      version: 0,
      recentMessageIds: [],
      eventCount: 1,
      firstSeenAt: at,
      lastSeenAt: at,
      journeys: {},
      ...fields,
    },
    [],
  );
}

const goldTraits = (firstName: string): Partial<CustomerState> => ({
  profile: {
    traits: {
      tier: { value: 'gold', updatedAt: '2026-01-01T00:00:00Z' },
      firstName: { value: firstName, updatedAt: '2026-01-01T00:00:00Z' },
    },
    groups: {},
    anonymousIds: [],
  },
});

describe('GET /v1/decide', () => {
  it('answers the best eligible offer, rendered and explained, and keeps the decision and the impression', async () => {
    const id = `claire-${randomUUID()}`;
    await customer('shop', id, goldTraits('Claire'));
    const answer = await pull(shop, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(answer.headers?.['cache-control']).toBe('no-store');
    const { decision } = DecideResponse.parse(JSON.parse(answer.body));
    expect(decision).toMatchObject({
      action: 'gold-upsell',
      channel: 'web',
      content: { title: 'Hello Claire, gold members save 20%' },
      factors: { value: 20, score: 20, rank: 1 },
    });
    expect(decision?.explanation).toMatch(/ranked first of 2 for "home-hero"/);
    const kept = await listDecisions('shop', id);
    expect(kept).toEqual([
      expect.objectContaining({
        decisionId: decision?.decisionId,
        outcome: 'taken',
        action: 'gold-upsell',
        source: { kind: 'placement', placement: 'home-hero' },
      }),
    ]);
    const caps = await loadCapsHistory('shop', id);
    expect(caps.version).toBe(1);
    expect(caps.entries).toEqual([
      expect.objectContaining({
        kind: 'sent',
        id: decision?.decisionId,
        action: 'gold-upsell',
        channel: 'web',
      }),
    ]);
  });

  it('decides for a customer never seen with the consent defaults', async () => {
    const answer = await decided(shop, {
      customerId: `new-${randomUUID()}`,
      channel: 'web',
      placement: 'home-hero',
    });
    expect(answer.decision).toMatchObject({
      action: 'newsletter',
      content: { title: 'Join our newsletter' },
    });
  });

  it('shows nothing, with no_consent, once the customer withdrew consent, and writes nothing', async () => {
    const id = `withdrawn-${randomUUID()}`;
    await customer('shop', id, {
      consent: ConsentLedger.parse({
        purposes: { marketing: { status: 'denied', at: '2026-01-02T00:00:00Z', source: 'web' } },
      }),
    });
    const answer = await decided(shop, { customerId: id, channel: 'web', placement: 'sidebar' });
    expect(answer).toMatchObject({ decision: null, reason: 'no_consent' });
    expect(answer.explanation).toContain('marketing');
    expect(await loadCapsHistory('shop', id)).toEqual({ version: 0, entries: [] });
    expect(await listDecisions('shop', id)).toEqual([]);
  });

  it('says none_for_placement for a placement nothing is offered at', async () => {
    const answer = await decided(shop, { customerId: 'anyone', channel: 'mobile', placement: 'banner' });
    expect(answer).toMatchObject({ decision: null, reason: 'none_for_placement' });
  });

  it(`shows a capped offer to exactly ${CAP} of ${3 * CAP} concurrent calls, and the caps item holds ${CAP} sends`, async () => {
    const id = `busy-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 3 * CAP }, () =>
        pull(shop, { customerId: id, channel: 'web', placement: 'banner' }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 200));
    const bodies = answers.map((answer) => DecideResponse.parse(JSON.parse(answer.body)));
    const shown = bodies.filter((body) => body.decision !== null);
    expect(shown).toHaveLength(CAP);
    expect(new Set(shown.map((body) => body.decision?.decisionId)).size).toBe(CAP);
    for (const body of bodies.filter((one) => one.decision === null))
      expect(body.reason).toBe('frequency_cap');
    const caps = await loadCapsHistory('shop', id);
    expect(caps.entries.filter((entry) => entry.kind === 'sent')).toHaveLength(CAP);
    expect(caps.version).toBe(CAP);
    expect(await listDecisions('shop', id)).toHaveLength(CAP);
  });

  it('answers a retry with the same requestId with the same decision, counting one impression', async () => {
    const id = `retry-${randomUUID()}`;
    const query = { customerId: id, channel: 'web', placement: 'banner', requestId: 'page-view-1' };
    const first = await decided(shop, query);
    const again = await decided(shop, query);
    expect(again).toEqual(first);
    expect((await loadCapsHistory('shop', id)).entries).toHaveLength(1);
    expect(await listDecisions('shop', id)).toHaveLength(1);
  });

  it('counts an impression against the caps a journey’s push obeys (one caps item)', async () => {
    const id = `shared-${randomUUID()}`;
    const pulled = await decided(capped, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(pulled.decision?.action).toBe('web-offer');
    const at = new Date(Date.now() + 1_000).toISOString();
    const result = await processKinesisBatch([cartAbandoned('capped', id, at)]);
    expect(result.batchItemFailures).toEqual([]);
    expect(await listActions('capped', id)).toEqual([]);
    const push = (await listDecisions('capped', id)).find((decision) => decision.action === 'cart-push');
    expect(push).toMatchObject({
      outcome: 'suppressed',
      reason: 'frequency_cap',
      cap: { id: 'one-a-day', max: 1, count: 1 },
    });
    // And the other way round: nothing more is shown on the web today.
    const again = await decided(capped, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(again).toMatchObject({ decision: null, reason: 'frequency_cap' });
  });

  it('never shows one tenant what it knows of another tenant’s customer', async () => {
    const id = `isolated-${randomUUID()}`;
    await customer('shop', id, goldTraits('Ines'));
    const before = await loadCapsHistory('shop', id);
    const answer = await decided(other, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(answer).toMatchObject({ decision: null, reason: 'not_eligible' });
    expect(answer.explanation).not.toContain('Ines');
    expect(await loadCapsHistory('shop', id)).toEqual(before);
    expect(await listDecisions('shop', id)).toEqual([]);
    const own = await decided(shop, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(own.decision?.content).toEqual({ title: 'Hello Ines, gold members save 20%' });
  });

  it.each([
    [{ channel: 'web', placement: 'home-hero' }, 'query.customerId'],
    [{ customerId: 'c', channel: 'email', placement: 'home-hero' }, 'query.channel'],
    [{ customerId: 'c', channel: 'web', placement: 'Home Hero!' }, 'query.placement'],
    [{ customerId: 'c', channel: 'web', placement: 'home-hero', requestId: 'a b' }, 'query.requestId'],
  ] as [Record<string, string>, string][])(
    'refuses %j with 400 and the path %s, counting nothing',
    async (query, path) => {
      const answer = await pull(shop, query);
      expect(answer.statusCode).toBe(400);
      expect(ApiError.parse(JSON.parse(answer.body))).toMatchObject({ code: 'invalid_request', path });
      if (query.customerId !== undefined)
        expect(await loadCapsHistory('shop', query.customerId)).toEqual({ version: 0, entries: [] });
    },
  );

  it('shows nothing to an erased customer and writes nothing under their partition', async () => {
    const id = `erased-${randomUUID()}`;
    await customer('shop', id, goldTraits('Ines'));
    const shown = await decided(shop, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(shown.decision?.action).toBe('gold-upsell');
    const erase: StreamRecord = {
      kind: 'erase',
      tenantId: 'shop',
      customerId: id,
      receivedAt: new Date().toISOString(),
      erasureId: randomUUID(),
      requestedBy: 'customer',
    };
    const result = await processKinesisBatch([
      asKinesisRecord(erase, '49590338271490256608559692538361571095921575989136589999'),
    ]);
    expect(result.summary).toMatchObject({ erased: 1, failed: 0 });
    expect(await loadTombstone('shop', id)).toBeDefined();
    expect(await customerItems('shop', id)).toEqual([]);

    const answer = await decided(shop, { customerId: id, channel: 'web', placement: 'home-hero' });
    expect(answer).toMatchObject({ decision: null, reason: 'customer_erased' });
    expect(answer.explanation).not.toContain('Ines');
    const banner = await decided(shop, { customerId: id, channel: 'web', placement: 'banner' });
    expect(banner).toMatchObject({ decision: null, reason: 'customer_erased' });
    expect(await customerItems('shop', id)).toEqual([]);
  });

  it('takes an API key with the decide scope, refuses one without it (403) and no key at all (401)', async () => {
    const query = { customerId: `keyed-${randomUUID()}`, channel: 'web', placement: 'home-hero' };
    const decide = await createApiKey('shop', { name: 'server', scopes: ['decide'] }, 'test', new Date());
    const reader = await createApiKey(
      'shop',
      { name: 'reader', scopes: ['config:read'] },
      'test',
      new Date(),
    );
    expect((await pull({ bearer: decide.key }, query)).statusCode).toBe(200);
    expect((await pull({ bearer: reader.key }, query)).statusCode).toBe(403);
    const anonymous = await decisionApi(
      { ...httpEvent('GET /v1/decide'), queryStringParameters: query },
      {} as Context,
    );
    expect((anonymous as Answer).statusCode).toBe(401);
  });
});

function cartAbandoned(tenantId: string, customerId: string, at: string): KinesisStreamRecord {
  return asKinesisRecord(
    trackCall(tenantId, customerId, 'cart_abandoned', at),
    '49590338271490256608559692538361571095921575989136588898',
  );
}
