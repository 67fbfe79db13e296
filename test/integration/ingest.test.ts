import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import type { HttpResult } from '../../lambdas/http/responses.js';
import { MAX_BODY_BYTES } from '../../lambdas/http/routes.js';
import { handler } from '../../lambdas/ingest/handler.js';
import { partitionKeyOf } from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
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
const track = (body: unknown, writeKey: string | null = acme.writeKey) =>
  invoke(httpEvent('POST /v1/track', { body, ...(writeKey === null ? {} : { writeKey }) }));
const batch = (body: unknown) => invoke(httpEvent('POST /v1/batch', { writeKey: acme.writeKey, body }));

/** Every record in the file's stream, decoded, with its partition key. */
async function streamContents() {
  return (await readAllRecords(resources.eventsStream)).map((record) => ({
    partitionKey: record.kinesis.partitionKey,
    data: decodeStreamRecord(record),
  }));
}

/** Runs a request that must be refused and checks that the stream holds exactly what it held before. */
async function refusedWithoutWriting(request: () => ReturnType<typeof invoke>) {
  const before = await streamContents();
  const response = await request();
  expect(await streamContents()).toEqual(before);
  return response;
}

describe('POST /v1/track', () => {
  it('answers 200 once the event is in Kinesis under the customer’s partition key', async () => {
    const userId = `user-${randomUUID()}`;
    const call = {
      type: 'track',
      userId,
      event: 'cart_abandoned',
      properties: { total: 80, currency: 'EUR' },
      timestamp: '2025-03-01T10:00:00.000Z',
      messageId: `msg-${randomUUID()}`,
    };
    const before = Date.now();

    const response = await track(call);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ success: true, accepted: 1 });
    const stored = (await streamContents()).filter(({ data }) => data.customerId === userId);
    expect(stored).toHaveLength(1);
    const [{ partitionKey, data }] = stored as [(typeof stored)[number]];
    expect(partitionKey).toBe(partitionKeyOf('acme', userId));
    expect(data).toEqual({
      kind: 'call',
      tenantId: 'acme',
      customerId: userId,
      receivedAt: expect.any(String),
      call: expect.objectContaining({ ...call, type: 'track' }),
    });
    const receivedAt = Date.parse(String(data.receivedAt));
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());
  });

  it('gives a message id to a call that came without one and keys anonymous customers apart', async () => {
    const anonymousId = `anon-${randomUUID()}`;

    const response = await track({ anonymousId, event: 'page_viewed' });

    expect(response.statusCode).toBe(200);
    const stored = (await streamContents()).filter(({ data }) => data.customerId === `anon:${anonymousId}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.partitionKey).toBe(partitionKeyOf('acme', `anon:${anonymousId}`));
    expect(stored[0]?.data.event).toEqual({
      anonymousId,
      event: 'page_viewed',
      properties: {},
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});

describe('POST /v1/batch', () => {
  it('lands one record per call, each under its own customer’s key', async () => {
    const customers = Array.from({ length: 7 }, () => `user-${randomUUID()}`);
    const calls = customers.map((userId, index) => ({
      userId,
      event: 'product_viewed',
      properties: { position: index },
      messageId: `msg-${randomUUID()}`,
      ...(index === 0 ? { context: { channel: 'pos' } } : {}),
    }));

    const response = await batch({ batch: calls, context: { channel: 'web' } });

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ success: true, accepted: calls.length });
    const stored = (await streamContents()).filter(({ data }) => customers.includes(String(data.customerId)));
    expect(stored).toHaveLength(calls.length);
    for (const [index, call] of calls.entries()) {
      const record = stored.find(({ data }) => data.customerId === call.userId);
      expect(record?.partitionKey).toBe(partitionKeyOf('acme', call.userId));
      // A call's own context wins over the batch's, as in Segment.
      expect(record?.data.event).toEqual({
        ...call,
        context: index === 0 ? { channel: 'pos' } : { channel: 'web' },
      });
    }
  });
});

describe('a refused request', () => {
  const validCall = () => ({ userId: `user-${randomUUID()}`, event: 'page_viewed' });

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

  it('answers 400 malformed_json to a body that is not JSON, and writes nothing', async () => {
    const response = await refusedWithoutWriting(() => track('{"userId": "u-1", "event": '));

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'malformed_json' });
  });

  it('answers 400 invalid_request with the path of the offending call, and writes none of the batch', async () => {
    const calls = [validCall(), { event: 'page_viewed', properties: {} }, validCall()];

    const response = await refusedWithoutWriting(() => batch({ batch: calls }));

    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'invalid_request', path: 'batch.1.userId' });
  });

  it('answers 413 to a body over 500 KB, and writes nothing', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES);
    const body = JSON.stringify({ ...validCall(), properties: { padding } });
    expect(Buffer.byteLength(body)).toBeGreaterThan(500 * 1024);

    const response = await refusedWithoutWriting(() => track(body));

    expect(response.statusCode).toBe(413);
    expect(response.json).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('when Kinesis keeps failing', () => {
  afterAll(() => pointAdaptersAt(resources));

  it('answers 503 temporarily_unavailable with retry-after, so the sender retries', async () => {
    const before = await streamContents();
    pointAdaptersAt({ ...resources, eventsStream: `missing-${randomUUID().slice(0, 8)}` });

    const response = await track(validCallWithId());

    expect(response.statusCode).toBe(503);
    expect(response.json).toMatchObject({ code: 'temporarily_unavailable' });
    expect(response.headers?.['retry-after']).toBe('1');
    pointAdaptersAt(resources);
    expect(await streamContents()).toEqual(before);
  });
});

function validCallWithId() {
  return { userId: `user-${randomUUID()}`, event: 'page_viewed', messageId: randomUUID() };
}
