import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { putTenant, revokeWriteKey } from '../../lambdas/adapters/config-store.js';
import type { HttpResult } from '../../lambdas/http/responses.js';
import { MAX_BODY_BYTES } from '../../lambdas/http/routes.js';
import { handler } from '../../lambdas/ingest/handler.js';
import { partitionKeyOf } from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { basicAuth, httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { type SeededTenant, seedTenant } from './support/seed.js';
import { decodeStreamRecord } from './support/stream-events.js';

let resources: FreshResources;
let acme: SeededTenant;

beforeAll(async () => {
  resources = await freshResources('ingest');
  pointAdaptersAt(resources);
  acme = await seedTenant({ tenantId: 'acme' });
});

afterAll(async () => {
  await deleteResources(resources);
  resetClientsForTests();
});

async function invoke(
  event: APIGatewayProxyEventV2,
): Promise<HttpResult & { json: Record<string, unknown> }> {
  const result = (await handler(event, {} as Context)) as HttpResult;
  return { ...result, json: JSON.parse(String(result.body)) };
}

/** `writeKey: null` sends no authorization header at all. */
const call = (route: string, body: unknown, writeKey: string | null = acme.writeKey) =>
  invoke(httpEvent(`POST ${route}`, { body, ...(writeKey === null ? {} : { writeKey }) }));
const track = (body: unknown, writeKey: string | null = acme.writeKey) => call('/v1/track', body, writeKey);
const batch = (body: unknown) => call('/v1/batch', body);

/** A binary body, as API Gateway hands it over: base64, flagged. */
function binaryEvent(route: string, bytes: Buffer, headers: Record<string, string> = {}) {
  return {
    ...httpEvent(`POST ${route}`, { writeKey: acme.writeKey, headers }),
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
}

/** Every record in the file's stream, decoded, with its partition key. */
async function streamContents() {
  return (await readAllRecords(resources.eventsStream)).map((record) => ({
    partitionKey: record.kinesis.partitionKey,
    data: decodeStreamRecord(record),
  }));
}

const recordsOf = async (customerIds: string[]) =>
  (await streamContents()).filter(({ data }) => customerIds.includes(String(data.customerId)));

/** Runs a request that must be refused and checks that the stream holds exactly what it held before. */
async function refusedWithoutWriting(request: () => ReturnType<typeof invoke>) {
  const before = await streamContents();
  const response = await request();
  expect(await streamContents()).toEqual(before);
  return response;
}

const validCall = () => ({ userId: `user-${randomUUID()}`, event: 'page_viewed' });

describe('POST /v1/track', () => {
  it('takes an API key with the ingest scope as a write key (Basic or Bearer), refuses one without it (403)', async () => {
    const ingestKey = await createApiKey('acme', { name: 'server', scopes: ['ingest'] }, 'test', new Date());
    const readKey = await createApiKey(
      'acme',
      { name: 'reader', scopes: ['config:read'] },
      'test',
      new Date(),
    );
    const asBasic = await track(validCall(), ingestKey.key);
    expect(asBasic.statusCode).toBe(200);
    const asBearer = await invoke(
      httpEvent('POST /v1/track', {
        body: validCall(),
        headers: { authorization: `Bearer ${ingestKey.key}` },
      }),
    );
    expect(asBearer.statusCode).toBe(200);
    const withoutScope = await refusedWithoutWriting(() => track(validCall(), readKey.key));
    expect(withoutScope.statusCode).toBe(403);
  });

  it('answers 200 once the event is in Kinesis under the customer’s partition key', async () => {
    const userId = `user-${randomUUID()}`;
    const sent = {
      type: 'track',
      userId,
      event: 'cart_abandoned',
      properties: { total: 80, currency: 'EUR' },
      timestamp: '2025-03-01T10:00:00.000Z',
      messageId: `msg-${randomUUID()}`,
    };
    const before = Date.now();

    const response = await track(sent);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ success: true, accepted: 1 });
    const stored = await recordsOf([userId]);
    expect(stored).toHaveLength(1);
    const [{ partitionKey, data }] = stored as [(typeof stored)[number]];
    expect(partitionKey).toBe(partitionKeyOf('acme', userId));
    expect(data).toEqual({
      kind: 'call',
      tenantId: 'acme',
      customerId: userId,
      receivedAt: expect.any(String),
      call: { ...sent, receivedAt: data.receivedAt, channel: 'server', context: {} },
    });
    const receivedAt = Date.parse(String(data.receivedAt));
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());
  });

  it('gives a message id to a call that came without one and keys anonymous customers apart', async () => {
    const anonymousId = `anon-${randomUUID()}`;

    const response = await track({ anonymousId, event: 'page_viewed' });

    expect(response.statusCode).toBe(200);
    const stored = await recordsOf([`anon:${anonymousId}`]);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.partitionKey).toBe(partitionKeyOf('acme', `anon:${anonymousId}`));
    expect(stored[0]?.data.call).toMatchObject({
      type: 'track',
      anonymousId,
      event: 'page_viewed',
      properties: {},
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('takes the write key from the body when there is no authorization header, as Segment does', async () => {
    const sent = validCall();
    const response = await track({ ...sent, writeKey: acme.writeKey }, null);
    expect(response.statusCode).toBe(200);
    expect(await recordsOf([sent.userId])).toHaveLength(1);
  });
});

describe('the other single-call endpoints', () => {
  it('files an identify under the user and links the anonymous visitor to it', async () => {
    const userId = `user-${randomUUID()}`;
    const anonymousId = `browser-${randomUUID()}`;

    const response = await call('/v1/identify', {
      userId,
      anonymousId,
      messageId: 'identify-1',
      traits: { plan: 'gold' },
    });

    expect(response.statusCode).toBe(200);
    const [callRecord] = await recordsOf([userId]);
    expect(callRecord?.data).toMatchObject({
      kind: 'call',
      call: { type: 'identify', traits: { plan: 'gold' } },
    });
    const [link] = await recordsOf([`anon:${anonymousId}`]);
    expect(link?.partitionKey).toBe(partitionKeyOf('acme', `anon:${anonymousId}`));
    expect(link?.data).toEqual({
      kind: 'link',
      tenantId: 'acme',
      customerId: `anon:${anonymousId}`,
      receivedAt: callRecord?.data.receivedAt,
      linkId: 'identify-1:link',
      linkTo: userId,
    });
  });

  it('answers every call type on its endpoint, and the one-letter paths of analytics.js', async () => {
    const userId = `user-${randomUUID()}`;
    const requests: [string, Record<string, unknown>][] = [
      ['/v1/page', { name: 'Home' }],
      ['/v1/screen', { name: 'Cart' }],
      ['/v1/group', { groupId: 'acme-corp' }],
      ['/v1/alias', { previousId: `old-${randomUUID()}` }],
      ['/v1/t', { event: 'Signed Up' }],
    ];
    for (const [route, fields] of requests) {
      const response = await call(route, { userId, ...fields });
      expect(response.statusCode, route).toBe(200);
    }
    const types = (await recordsOf([userId])).map(({ data }) => (data.call as { type: string }).type);
    expect(types).toEqual(['page', 'screen', 'group', 'alias', 'track']);
  });
});

describe('POST /v1/batch', () => {
  it('lands one record per call, each under its own customer’s key, with the batch context filling in', async () => {
    const customers = Array.from({ length: 7 }, () => `user-${randomUUID()}`);
    const calls = customers.map((userId, index) => ({
      type: 'track',
      userId,
      event: 'product_viewed',
      properties: { position: index },
      messageId: `msg-${randomUUID()}`,
      ...(index === 0 ? { context: { channel: 'call_center' } } : {}),
    }));

    const response = await batch({ batch: calls, context: { library: { name: 'analytics.js' } } });

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ success: true, accepted: calls.length, rejected: [] });
    const stored = await recordsOf(customers);
    expect(stored).toHaveLength(calls.length);
    for (const [index, sent] of calls.entries()) {
      const record = stored.find(({ data }) => data.customerId === sent.userId);
      expect(record?.partitionKey).toBe(partitionKeyOf('acme', sent.userId));
      // A call's own context wins over the batch's, as in Segment.
      expect(record?.data.call).toMatchObject({
        ...sent,
        ...(index === 0
          ? { channel: 'call_center' }
          : { channel: 'web', context: { library: { name: 'analytics.js' } } }),
      });
    }
  });

  it('accepts the valid calls of a batch and lists each refused one, writing only the valid', async () => {
    const good = [validCall(), validCall(), validCall()];
    const noId = { type: 'track', event: 'page_viewed', messageId: `bad-${randomUUID()}` };
    const badTraits = { type: 'identify', userId: `user-${randomUUID()}`, traits: 'vip' };

    const response = await batch({
      batch: [
        { type: 'track', ...good[0] },
        noId,
        { type: 'track', ...good[1] },
        badTraits,
        { type: 'track', ...good[2] },
      ],
    });

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({
      success: true,
      accepted: 3,
      rejected: [
        { index: 1, code: 'invalid_request', path: 'batch.1.userId', message: expect.any(String) },
        { index: 3, code: 'invalid_request', path: 'batch.3.traits', message: expect.any(String) },
      ],
    });
    expect(await recordsOf(good.map(({ userId }) => userId))).toHaveLength(3);
    expect(await recordsOf([badTraits.userId])).toEqual([]);
    const all = await streamContents();
    expect(all.some(({ data }) => JSON.stringify(data).includes(noId.messageId))).toBe(false);
  });
});

describe('compressed and binary bodies', () => {
  it('accepts a gzip body', async () => {
    const sent = validCall();
    const gzipped = gzipSync(JSON.stringify({ batch: [{ type: 'track', ...sent }] }));

    const response = await invoke(binaryEvent('/v1/batch', gzipped, { 'content-encoding': 'gzip' }));

    expect(response.statusCode).toBe(200);
    expect(await recordsOf([sent.userId])).toHaveLength(1);
  });

  it('stops a gzip bomb at 500 KB inflated: 413, nothing written', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, ' '));
    expect(bomb.byteLength).toBeLessThan(100 * 1024);

    const response = await refusedWithoutWriting(() =>
      invoke(binaryEvent('/v1/batch', bomb, { 'content-encoding': 'gzip' })),
    );

    expect(response.statusCode).toBe(413);
    expect(response.json).toMatchObject({ code: 'payload_too_large' });
  });

  it('answers 400 invalid_gzip to a body that is not gzip, and 415 to another encoding', async () => {
    const garbage = Buffer.from('definitely not gzip');
    const notGzip = await invoke(binaryEvent('/v1/track', garbage, { 'content-encoding': 'gzip' }));
    expect([notGzip.statusCode, notGzip.json.code]).toEqual([400, 'invalid_gzip']);
    const brotli = await invoke(binaryEvent('/v1/track', garbage, { 'content-encoding': 'br' }));
    expect([brotli.statusCode, brotli.json.code]).toEqual([415, 'unsupported_encoding']);
  });

  it('answers 400 invalid_utf8 to bytes that are not UTF-8, and writes nothing', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"userId":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","event":"x"}'),
    ]);

    const response = await refusedWithoutWriting(() =>
      invoke(binaryEvent('/v1/track', bytes, { 'content-type': 'application/octet-stream' })),
    );

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'invalid_utf8' });
  });
});

describe('a refused request', () => {
  it('answers 401 without a write key, and writes nothing', async () => {
    const response = await refusedWithoutWriting(() => track(validCall(), null));

    expect(response.statusCode).toBe(401);
    expect(response.json).toMatchObject({ code: 'unauthorized' });
    expect(response.headers?.['www-authenticate']).toBe('Basic realm="ecoute"');
  });

  it('answers 401 to an unknown write key, and writes nothing', async () => {
    const response = await refusedWithoutWriting(() => track(validCall(), 'wk_nobody_knows'));

    expect(response.statusCode).toBe(401);
    expect(response.json).toMatchObject({ code: 'unauthorized' });
  });

  it('answers 401 to a revoked write key, and writes nothing', async () => {
    const revoked = await seedTenant({ tenantId: 'revoked' });
    expect((await track(validCall(), revoked.writeKey)).statusCode).toBe(200);
    await revokeWriteKey(revoked.writeKey, new Date());

    const response = await refusedWithoutWriting(() => track(validCall(), revoked.writeKey));

    expect(response.statusCode).toBe(401);
  });

  it('answers 400 malformed_json to a body that is not JSON, and writes nothing', async () => {
    const response = await refusedWithoutWriting(() => track('{"userId": "u-1", "event": '));

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'malformed_json' });
  });

  it('answers 400 with code and path to an invalid single call, and writes nothing', async () => {
    const response = await refusedWithoutWriting(() =>
      track({
        ...validCall(),
        properties: { nested: JSON.parse(`${'{"a":'.repeat(10)}1${'}'.repeat(10)}`) },
      }),
    );

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({
      code: 'invalid_request',
      path: `properties.nested${'.a'.repeat(7)}`,
    });
  });

  it('answers 400 with every refused call when no call of a batch is valid, and writes nothing', async () => {
    const calls = [
      { event: 'page_viewed', properties: {} },
      { type: 'track', userId: 'x'.repeat(257), event: 'e' },
    ];

    const response = await refusedWithoutWriting(() => batch({ batch: calls }));

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({
      code: 'invalid_request',
      path: 'batch.0.type',
      rejected: [
        { index: 0, path: 'batch.0.type' },
        { index: 1, path: 'batch.1.userId' },
      ],
    });
  });

  it('answers 413 to a body over 500 KB, and 413 to a single call over 32 KB, and writes nothing', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES);
    const body = JSON.stringify({ ...validCall(), properties: { padding } });
    expect(Buffer.byteLength(body)).toBeGreaterThan(500 * 1024);

    const response = await refusedWithoutWriting(() => track(body));
    expect(response.statusCode).toBe(413);
    expect(response.json).toMatchObject({ code: 'payload_too_large' });

    const call = await refusedWithoutWriting(() =>
      track({ ...validCall(), properties: { p: 'x'.repeat(33_000) } }),
    );
    expect([call.statusCode, call.json.code]).toEqual([413, 'payload_too_large']);
  });

  it('answers 400 too_many_events to a batch of more than 2,500 calls', async () => {
    const calls = Array.from({ length: 2_501 }, () => ({ type: 'track', userId: 'u', event: 'e' }));
    const response = await refusedWithoutWriting(() => batch({ batch: calls }));
    expect([response.statusCode, response.json.code]).toEqual([400, 'too_many_events']);
  });
});

describe('the tenant quota', () => {
  it('answers 429 rate_limited with retry-after once a tenant sends more events a second than its limit', async () => {
    const limited = await seedTenant({ tenantId: 'limited' });
    await putTenant({ tenantId: 'limited', name: 'Limited', limits: { eventsPerSecond: 5 } });
    const refusedUsers: string[] = [];
    const send = (count: number, refused = false) => {
      const calls = Array.from({ length: count }, () => ({ type: 'track', ...validCall() }));
      if (refused) refusedUsers.push(...calls.map(({ userId }) => userId));
      return invoke(httpEvent('POST /v1/batch', { writeKey: limited.writeKey, body: { batch: calls } }));
    };
    // Start at the beginning of a second, so that the three requests share one window.
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000)));

    const first = await send(4);
    const second = await send(2, true);
    const third = await send(1);

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(429);
    expect(await recordsOf(refusedUsers)).toEqual([]);
    expect(second.json).toMatchObject({ code: 'rate_limited' });
    expect(second.headers?.['retry-after']).toBe('1');
    // A refused request uses none of the quota: one event still fits.
    expect(third.statusCode).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000)));
    expect((await send(5)).statusCode).toBe(200);
  });

  it('lets a batch larger than the whole limit through in a second of its own', async () => {
    const small = await seedTenant({ tenantId: 'small' });
    await putTenant({ tenantId: 'small', name: 'Small', limits: { eventsPerSecond: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000)));
    const response = await invoke(
      httpEvent('POST /v1/batch', {
        writeKey: small.writeKey,
        body: { batch: Array.from({ length: 3 }, () => ({ type: 'track', ...validCall() })) },
      }),
    );
    expect(response.statusCode).toBe(200);
  });
});

describe('when Kinesis keeps failing', () => {
  afterAll(() => pointAdaptersAt(resources));

  it('answers 503 temporarily_unavailable with retry-after, so the sender retries', async () => {
    const before = await streamContents();
    pointAdaptersAt({ ...resources, eventsStream: `missing-${randomUUID().slice(0, 8)}` });

    const response = await track({ ...validCall(), messageId: randomUUID() });

    expect(response.statusCode).toBe(503);
    expect(response.json).toMatchObject({ code: 'temporarily_unavailable' });
    expect(response.headers?.['retry-after']).toBe('1');
    pointAdaptersAt(resources);
    expect(await streamContents()).toEqual(before);
  });
});

describe('authorization header', () => {
  it('is preferred over a write key in the body', async () => {
    const response = await invoke(
      httpEvent('POST /v1/track', {
        body: { ...validCall(), writeKey: acme.writeKey },
        headers: { authorization: basicAuth('wk_nobody_knows') },
      }),
    );
    expect(response.statusCode).toBe(401);
  });
});
