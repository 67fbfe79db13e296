import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { dynamo } from '../../lambdas/adapters/aws-clients.js';
import { customerPartition, loadCustomerState } from '../../lambdas/adapters/customer-store.js';
import { customerItems, loadTombstone } from '../../lambdas/adapters/erasure-store.js';
import { putRecordsDurably } from '../../lambdas/adapters/event-stream.js';
import {
  createPrivacyKey,
  type PrivacyKey,
  revokePrivacyKey,
} from '../../lambdas/adapters/privacy-key-store.js';
import { signPrivacyToken } from '../../lambdas/core/privacy/privacy-token.js';
import { handler as customerApi } from '../../lambdas/customer-api/handler.js';
import { handler as privacyApi } from '../../lambdas/privacy-api/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import type { Decision } from '../../schemas/decision.js';
import { CustomerExport, DecisionPage, ErasureReceipt, MyDecisionsResponse } from '../../schemas/privacy.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import {
  type CallRecord,
  customerIdOf,
  type LinkRecord,
  type StreamRecord,
} from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { decodeStreamRecord } from './support/stream-events.js';

let resources: FreshResources;
let acme: SeededTenant & { privacyKey: PrivacyKey; apiKey: string };
let globex: SeededTenant & { privacyKey: PrivacyKey; apiKey: string };
const processed = new Set<string>();

async function tenant(tenantId: string) {
  const seeded = await seedTenant({ tenantId, journeys: [cartReminder] });
  const privacyKey = await createPrivacyKey(tenantId, 'test', new Date());
  const { key } = await createApiKey(tenantId, { name: 'dpo', scopes: ['privacy'] }, 'test', new Date());
  return { ...seeded, privacyKey, apiKey: key };
}

beforeAll(async () => {
  resources = await freshResources('privacy');
  pointAdaptersAt(resources);
  acme = await tenant('acme');
  globex = await tenant('globex');
});
afterAll(async () => deleteResources(resources));

type Response = { statusCode: number; body: string };
const nowSeconds = () => Math.floor(Date.now() / 1_000);

function tokenFor(t: typeof acme, customerId: string, overrides: Record<string, unknown> = {}) {
  const iat = nowSeconds();
  return signPrivacyToken(
    { tenantId: t.tenantId, customerId, iat, exp: iat + 900 },
    t.privacyKey.kid,
    t.privacyKey.secret,
    overrides,
  );
}

const me = (
  routeKey: string,
  token: string | undefined,
  request: { body?: unknown; pathParameters?: Record<string, string> } = {},
) =>
  privacyApi(
    httpEvent(routeKey, {
      ...request,
      ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    }),
    {} as Context,
  ) as Promise<Response>;

const business = (
  routeKey: string,
  t: typeof acme,
  customerId: string,
  auth: 'apiKey' | 'writeKey',
  query?: Record<string, string>,
) => {
  const event = httpEvent(routeKey, {
    pathParameters: { customerId },
    ...(auth === 'writeKey'
      ? { writeKey: t.writeKey }
      : { headers: { authorization: `Bearer ${t.apiKey}` } }),
  });
  if (query !== undefined) event.queryStringParameters = query;
  return customerApi(event, {} as Context) as Promise<Response>;
};

/** Puts records in the stream and runs the processor over what it has not seen, until the processor forwards nothing new. */
async function deliver(records: StreamRecord[] = []) {
  if (records.length > 0) await putRecordsDurably(records);
  for (;;) {
    const fresh: KinesisStreamRecord[] = (await readAllRecords(resources.eventsStream)).filter(
      (record) => !processed.has(record.kinesis.sequenceNumber),
    );
    if (fresh.length === 0) return;
    for (const record of fresh) processed.add(record.kinesis.sequenceNumber);
    expect(await processor({ Records: fresh }, {} as Context)).toEqual({ batchItemFailures: [] });
  }
}

/** A known customer who browsed anonymously, logged in, abandoned a cart (one action fired). */
function customerStory(tenantId: string) {
  const userId = `claire-${randomUUID().slice(0, 8)}`;
  const anonymousId = `device-${randomUUID().slice(0, 8)}`;
  const email = `${userId}@example.com`;
  const city = `Lyon-${randomUUID().slice(0, 6)}`;
  const start = Date.now() - 60 * 60_000;
  let minute = 0;
  const common = (ids: { userId?: string; anonymousId?: string }) => {
    minute += 1;
    const at = new Date(start + minute * 60_000).toISOString();
    return {
      messageId: randomUUID(),
      ...ids,
      timestamp: at,
      receivedAt: at,
      channel: 'web' as const,
      context: {},
    };
  };
  const record = (call: SegmentCall): CallRecord => ({
    kind: 'call',
    tenantId,
    customerId: customerIdOf(call),
    receivedAt: call.receivedAt,
    call,
  });
  const browsed: SegmentCall = {
    type: 'track',
    event: 'page_viewed',
    properties: { path: '/shoes' },
    ...common({ anonymousId }),
  };
  const loggedIn: SegmentCall = {
    type: 'identify',
    traits: { email, city },
    ...common({ userId, anonymousId }),
  };
  const abandoned: SegmentCall = {
    type: 'track',
    event: 'cart_abandoned',
    properties: { total: 80 },
    ...common({ userId }),
  };
  const link: LinkRecord = {
    kind: 'link',
    tenantId,
    customerId: customerIdOf({ anonymousId }),
    receivedAt: loggedIn.receivedAt,
    linkId: `${loggedIn.messageId}:link`,
    linkTo: userId,
  };
  return {
    userId,
    anonymousId,
    email,
    city,
    records: [record(browsed), record(loggedIn), link, record(abandoned)],
  };
}

function decision(
  tenantId: string,
  customerId: string,
  decidedAt: string,
  outcome: Decision['outcome'],
): Decision {
  return {
    decisionId: randomUUID().replaceAll('-', ''),
    tenantId,
    customerId,
    decidedAt,
    outcome,
    ...(outcome === 'suppressed' ? { reason: 'frequency_cap' as const } : {}),
    action: 'send-reminder',
    channel: 'email',
    source: { kind: 'journey', journeyId: 'cart-reminder', version: 1 },
    factors: { priority: 1, propensity: 0.4, value: 80, contextWeight: 1, score: 32 },
    explanation:
      outcome === 'taken'
        ? 'We reminded you of your cart.'
        : 'We did not remind you: you had enough messages this week.',
  };
}

/** What the decision and consent helpers write under the customer's partition, written here directly. */
async function writtenDecisionTimes(tenantId: string, customerId: string): Promise<string[]> {
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: resources.customersTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :decision)',
      ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId), ':decision': 'DECISION#' },
    }),
  );
  return Items.map((item) => String(item.sk).split('#')[1] ?? '');
}

async function writeDecisionsConsentAndTimer(tenantId: string, customerId: string) {
  const pk = customerPartition(tenantId, customerId);
  const decisions = ['2026-11-01T10:00:00.000Z', '2026-11-02T10:00:00.000Z', '2026-11-03T10:00:00.000Z'].map(
    (at, index) => decision(tenantId, customerId, at, index === 1 ? 'suppressed' : 'taken'),
  );
  for (const d of decisions)
    await dynamo().send(
      new PutCommand({
        TableName: resources.customersTable,
        Item: { pk, sk: `DECISION#${d.decidedAt}#${d.decisionId}`, decision: JSON.stringify(d) },
      }),
    );
  await dynamo().send(
    new PutCommand({
      TableName: resources.customersTable,
      Item: {
        pk,
        sk: 'CONSENT#2026-11-01T09:00:00.000Z#c1',
        purpose: 'marketing',
        status: 'granted',
        source: 'web',
      },
    }),
  );
  const timer = {
    timerId: 't:privacy',
    tenantId,
    customerId,
    instanceId: 'cart-reminder:x',
    dueAt: '2026-12-01T10:00:00.000Z',
  };
  await dynamo().send(
    new PutCommand({
      TableName: resources.customersTable,
      Item: { pk, sk: `TIMER#${timer.timerId}`, timer, timerQueue: 'timers#0', dueAt: timer.dueAt },
    }),
  );
  return decisions;
}

async function scanAll(tableName: string): Promise<string[]> {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

const eraseRecordsInStream = async (customerId: string) =>
  (await readAllRecords(resources.eventsStream))
    .map(decodeStreamRecord)
    .filter((record) => record.kind === 'erase' && record.customerId === customerId);

describe('GET /v1/customers/{id}/decisions', () => {
  it('lists decisions newest first, a page at a time, only for the key’s tenant', async () => {
    // Decisions written directly, for a customer whose events made none (the journeys would add theirs).
    const story = { userId: `decided-${randomUUID().slice(0, 8)}` };
    const decisions = await writeDecisionsConsentAndTimer('acme', story.userId);

    const first = await business('GET /v1/customers/{customerId}/decisions', acme, story.userId, 'writeKey', {
      limit: '2',
    });
    expect(first.statusCode).toBe(200);
    const page1 = DecisionPage.parse(JSON.parse(first.body));
    expect(page1.decisions.map((d) => d.decidedAt)).toEqual([
      '2026-11-03T10:00:00.000Z',
      '2026-11-02T10:00:00.000Z',
    ]);
    expect(page1.decisions[1]?.reason).toBe('frequency_cap');
    expect(page1.nextCursor).toBeDefined();
    const second = await business(
      'GET /v1/customers/{customerId}/decisions',
      acme,
      story.userId,
      'writeKey',
      {
        limit: '2',
        cursor: page1.nextCursor ?? '',
      },
    );
    const page2 = DecisionPage.parse(JSON.parse(second.body));
    expect(page2.decisions.map((d) => d.decisionId)).toEqual([decisions[0]?.decisionId]);

    const otherTenant = await business(
      'GET /v1/customers/{customerId}/decisions',
      globex,
      story.userId,
      'writeKey',
    );
    expect(DecisionPage.parse(JSON.parse(otherTenant.body)).decisions).toEqual([]);
    const badCursor = await business(
      'GET /v1/customers/{customerId}/decisions',
      acme,
      story.userId,
      'writeKey',
      { cursor: 'bm9wZQ' },
    );
    expect(badCursor.statusCode).toBe(400);
    expect(JSON.parse(badCursor.body).code).toBe('invalid_cursor');
  });
});

describe('privacy tokens', () => {
  it('refuse missing, garbled, forged, expired, too long, other-tenant and revoked-key tokens with a clear code', async () => {
    const story = customerStory('acme');
    await deliver(story.records);
    const iat = nowSeconds();
    const revoked = await createPrivacyKey('acme', 'test', new Date());
    await revokePrivacyKey('acme', revoked.kid, 'test', new Date());
    const cases: [string, string | undefined, string][] = [
      [
        'revoked key',
        signPrivacyToken(
          { tenantId: 'acme', customerId: story.userId, iat, exp: iat + 600 },
          revoked.kid,
          revoked.secret,
        ),
        'token_invalid',
      ],
      [
        'alg none',
        `${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}.${Buffer.from(JSON.stringify({ tid: 'acme', sub: story.userId })).toString('base64url')}.`,
        'token_invalid',
      ],
      ['missing', undefined, 'token_missing'],
      ['garbled', 'not-a-jwt', 'token_invalid'],
      [
        'forged',
        signPrivacyToken(
          { tenantId: 'acme', customerId: story.userId, iat, exp: iat + 600 },
          acme.privacyKey.kid,
          'x'.repeat(43),
        ),
        'token_invalid',
      ],
      [
        'expired',
        signPrivacyToken(
          { tenantId: 'acme', customerId: story.userId, iat: iat - 1_000, exp: iat - 10 },
          acme.privacyKey.kid,
          acme.privacyKey.secret,
        ),
        'token_expired',
      ],
      [
        'lives over an hour',
        signPrivacyToken(
          { tenantId: 'acme', customerId: story.userId, iat, exp: iat + 7_200 },
          acme.privacyKey.kid,
          acme.privacyKey.secret,
        ),
        'token_invalid',
      ],
      // Globex's own key, claiming to speak for an acme customer.
      [
        'other tenant’s key',
        signPrivacyToken(
          { tenantId: 'acme', customerId: story.userId, iat, exp: iat + 600 },
          globex.privacyKey.kid,
          globex.privacyKey.secret,
        ),
        'token_invalid',
      ],
      ['wrong audience', tokenFor(acme, story.userId, { aud: 'someone-else' }), 'token_invalid'],
    ];
    for (const [name, token, code] of cases) {
      for (const route of ['GET /v1/me', 'GET /v1/me/export', 'POST /v1/me/erasure']) {
        const response = await me(route, token);
        expect(response.statusCode, `${name} ${route}`).toBe(401);
        expect(JSON.parse(response.body).code, `${name} ${route}`).toBe(code);
      }
    }
    // No refused request changed anything: no erasure was asked for, the customer is intact.
    expect(await eraseRecordsInStream(story.userId)).toEqual([]);
    expect((await loadCustomerState('acme', story.userId))?.profile?.traits.email?.value).toBe(story.email);
  });

  it('reach only the token’s own customer of the token’s own tenant', async () => {
    const claire = customerStory('acme');
    const bob = customerStory('acme');
    await deliver([...claire.records, ...bob.records]);
    await writeDecisionsConsentAndTimer('acme', claire.userId);

    const bobToken = tokenFor(acme, bob.userId);
    const profile = JSON.parse((await me('GET /v1/me', bobToken)).body);
    expect(profile.customerId).toBe(bob.userId);
    expect(JSON.stringify(profile)).not.toContain(claire.email);
    const bobDecisions = MyDecisionsResponse.parse(
      JSON.parse((await me('GET /v1/me/decisions', bobToken)).body),
    );
    // Bob sees his own journey's decisions (taken now), none of those written for Claire (early November).
    const claireTimes = new Set(
      (await writtenDecisionTimes('acme', claire.userId)).filter((at) => at.startsWith('2026-11-0')),
    );
    expect(claireTimes.size).toBe(3);
    expect(bobDecisions.decisions.filter((decision) => claireTimes.has(decision.decidedAt))).toEqual([]);
    const bobExport = JSON.stringify(JSON.parse((await me('GET /v1/me/export', bobToken)).body));
    expect(bobExport).not.toContain(claire.userId);
    expect(bobExport).not.toContain(claire.email);
    // A path parameter cannot redirect it: the customer is the token's subject, whatever the path says.
    const viaPath = await privacyApi(
      {
        ...httpEvent('GET /v1/me', { headers: { authorization: `Bearer ${bobToken}` } }),
        pathParameters: { customerId: claire.userId },
      },
      {} as Context,
    );
    expect(JSON.stringify(viaPath)).not.toContain(claire.email);

    // Globex's token for the same id sees Globex's customer by that id: none.
    expect((await me('GET /v1/me', tokenFor(globex, claire.userId))).statusCode).toBe(404);
    const globexErasure = await me('POST /v1/me/erasure', tokenFor(globex, claire.userId));
    expect(globexErasure.statusCode).toBe(202);
    await deliver();
    expect((await loadCustomerState('acme', claire.userId))?.profile?.traits.email?.value).toBe(claire.email);

    const claireDecisions = MyDecisionsResponse.parse(
      JSON.parse((await me('GET /v1/me/decisions', tokenFor(acme, claire.userId))).body),
    );
    expect(claireDecisions.decisions.map((d) => d.explanation)).toContain(
      'We did not remind you: you had enough messages this week.',
    );
    expect(JSON.stringify(claireDecisions)).not.toContain('propensity');
  });
});

describe('export', () => {
  it('holds the profile, consent history, actions, timers, decisions and the merged anonymous id’s data', async () => {
    const story = customerStory('acme');
    await deliver(story.records);
    await writeDecisionsConsentAndTimer('acme', story.userId);
    for (const response of [
      await me('GET /v1/me/export', tokenFor(acme, story.userId)),
      await business('GET /v1/customers/{customerId}/export', acme, story.userId, 'apiKey'),
    ]) {
      expect(response.statusCode).toBe(200);
      const document = CustomerExport.parse(JSON.parse(response.body));
      expect(document.state?.profile?.traits.email?.value).toBe(story.email);
      expect(document.consentHistory).toEqual([
        expect.objectContaining({ purpose: 'marketing', status: 'granted' }),
      ]);
      expect(document.actions.map((action) => action.action)).toEqual(['send-reminder']);
      expect(document.actions[0]?.delivery.status).toBeDefined();
      expect(document.timers.map((timer) => timer.timerId)).toEqual(['t:privacy']);
      // The three written above, and the decision behind each action the journey took.
      expect(document.decisions).toHaveLength(3 + document.actions.length);
      for (const action of document.actions)
        expect(document.decisions.map((decision) => decision.decisionId)).toContain(action.actionId);
      const anonymous = document.linked.find((linked) => linked.customerId === `anon:${story.anonymousId}`);
      expect(anonymous?.state?.mergedInto).toBe(story.userId);
    }
    // A write key (public in browsers) cannot export.
    expect(
      (await business('GET /v1/customers/{customerId}/export', acme, story.userId, 'writeKey')).statusCode,
    ).toBe(401);
  });
});

describe('erasure', () => {
  it('removes the customer from every table through the stream, drops in-flight records, and is harmless when redelivered', async () => {
    const story = customerStory('acme');
    await deliver(story.records);
    await writeDecisionsConsentAndTimer('acme', story.userId);
    const token = tokenFor(acme, story.userId);

    const beforeErasure = new Date(Date.now() - 1_000).toISOString();
    const answered = await me('POST /v1/me/erasure', token);
    expect(answered.statusCode).toBe(202);
    const receipt = ErasureReceipt.parse(JSON.parse(answered.body));
    expect(receipt.status).toBe('pending');
    expect(receipt.covers).toContain('consent history');
    const statusOf = async (erasureId: string) =>
      me('GET /v1/me/erasure/{erasureId}', token, { pathParameters: { erasureId } });
    expect(JSON.parse((await statusOf(receipt.erasureId)).body)).toEqual({
      erasureId: receipt.erasureId,
      status: 'pending',
    });
    // An id this customer never asked for is not "pending": nobody will ever complete it.
    const unknown = await statusOf(randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'not_found' });
    // Received before the erasure, put in the stream after it (in flight): dropped.
    const late = (messageId: string): CallRecord => ({
      kind: 'call',
      tenantId: 'acme',
      customerId: story.userId,
      receivedAt: beforeErasure,
      call: {
        type: 'identify',
        traits: { email: story.email },
        userId: story.userId,
        messageId,
        timestamp: beforeErasure,
        receivedAt: beforeErasure,
        channel: 'web',
        context: {},
      },
    });
    await deliver([late(randomUUID())]);
    // And one more in a later batch, after the state is gone: the tombstone drops it.
    await deliver([late(randomUUID())]);

    const status = JSON.parse(
      (
        await me('GET /v1/me/erasure/{erasureId}', token, {
          pathParameters: { erasureId: receipt.erasureId },
        })
      ).body,
    );
    expect(status).toMatchObject({ erasureId: receipt.erasureId, status: 'completed' });

    const leftovers = async () =>
      [...(await scanAll(resources.customersTable)), ...(await scanAll(resources.configTable))].filter(
        (item) =>
          item.includes(story.userId) ||
          item.includes(story.anonymousId) ||
          item.includes(story.email) ||
          item.includes(story.city),
      );
    expect(await leftovers()).toEqual([]);
    expect((await scanAll(resources.customersTable)).some((item) => item.includes('ERASED#'))).toBe(true);

    // Lambda redelivers everything (a retry, a replay): nothing comes back.
    const everything = await readAllRecords(resources.eventsStream);
    expect(await processor({ Records: everything }, {} as Context)).toEqual({ batchItemFailures: [] });
    expect(await leftovers()).toEqual([]);

    // The customer comes back afterwards: a fresh start, and a replay of the old erase leaves them alone.
    const comeback: CallRecord = {
      ...late(randomUUID()),
      receivedAt: new Date(Date.now() + 1_000).toISOString(),
    };
    await deliver([comeback]);
    expect((await loadCustomerState('acme', story.userId))?.eventCount).toBe(1);
    const replay = await readAllRecords(resources.eventsStream);
    expect(await processor({ Records: replay }, {} as Context)).toEqual({ batchItemFailures: [] });
    expect((await loadCustomerState('acme', story.userId))?.eventCount).toBe(1);
  });

  it('drops a timer the sweeper put just after the erasure: no stub of the customer comes back', async () => {
    const story = customerStory('acme');
    await deliver(story.records);
    expect(await loadCustomerState('acme', story.userId)).toBeDefined();
    const erasure = await me('POST /v1/me/erasure', tokenFor(acme, story.userId));
    expect(erasure.statusCode).toBe(202);
    await deliver();
    const tombstone = await loadTombstone('acme', story.userId);
    expect(tombstone).toBeDefined();
    expect(await customerItems('acme', story.userId)).toEqual([]);

    // The sweeper read the timer before the partition went, and puts its record afterwards.
    const afterErasure = new Date(Date.parse(tombstone?.erasedAt ?? '') + 1_000).toISOString();
    const timer: StreamRecord = {
      kind: 'timer',
      tenantId: 'acme',
      customerId: story.userId,
      receivedAt: afterErasure,
      timerId: `t:${randomUUID()}`,
      instanceId: 'cart-reminder:late',
      dueAt: afterErasure,
    };
    await deliver([timer]);
    expect(await loadCustomerState('acme', story.userId)).toBeUndefined();
    expect(await customerItems('acme', story.userId)).toEqual([]);
  });

  it('of an unknown customer succeeds, twice, and changes nothing else', async () => {
    const unknown = `nobody-${randomUUID()}`;
    const before = (await scanAll(resources.customersTable)).filter(
      (item) => !item.includes('ERASED#'),
    ).length;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await business('DELETE /v1/customers/{customerId}', acme, unknown, 'apiKey');
      expect(response.statusCode).toBe(202);
      expect(ErasureReceipt.parse(JSON.parse(response.body)).status).toBe('pending');
    }
    await deliver();
    expect((await scanAll(resources.customersTable)).filter((item) => !item.includes('ERASED#')).length).toBe(
      before,
    );
    expect(await eraseRecordsInStream(unknown)).toHaveLength(2);
  });

  it('cannot be asked for with a write key', async () => {
    const response = await business('DELETE /v1/customers/{customerId}', acme, 'someone', 'writeKey');
    expect(response.statusCode).toBe(401);
    expect(await eraseRecordsInStream('someone')).toEqual([]);
  });
});
