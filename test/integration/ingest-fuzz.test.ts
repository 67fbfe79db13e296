import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putTenant } from '../../lambdas/adapters/config-store.js';
import type { HttpResult } from '../../lambdas/http/responses.js';
import { TRACKING_ENDPOINTS } from '../../lambdas/http/routes.js';
import { handler } from '../../lambdas/ingest/handler.js';
import { pointAdaptersAt } from './support/adapters.js';
import { basicAuth, httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { type SeededTenant, seedTenant } from './support/seed.js';

/**
 * The ingest function under arbitrary input, against the emulators: whatever arrives — random
 * JSON, random bytes, gzip garbage, absurd nesting, wrong types, odd headers — it answers with a
 * status and an error code, never crashes and never answers 5xx (but 503 while Kinesis is
 * down); and what it refuses never reaches the stream, while what it accepts always does.
 * Run counts are bounded so that the file stays within a few seconds.
 */

let resources: FreshResources;
let tenant: SeededTenant;

beforeAll(async () => {
  resources = await freshResources('ingest-fuzz');
  // A warm config cache, as in a busy function: the fuzz is about the input, not the config reads.
  pointAdaptersAt(resources, { CONFIG_CACHE_SECONDS: '60' });
  tenant = await seedTenant({ tenantId: 'fuzz' });
  // The quota is tested elsewhere; here every run must reach validation and the stream.
  await putTenant({ tenantId: 'fuzz', name: 'Fuzz', limits: { eventsPerSecond: 1_000_000 } });
});

afterAll(async () => deleteResources(resources));

const ROUTES = Object.keys(TRACKING_ENDPOINTS).map((path) => `POST ${path}`);
const CLIENT_ERRORS = [400, 401, 413, 415, 429];

interface FuzzRequest {
  route: string;
  body: string | undefined;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
}

async function send(request: FuzzRequest) {
  const event = {
    ...httpEvent(request.route, { headers: request.headers }),
    isBase64Encoded: request.isBase64Encoded,
    ...(request.body === undefined ? {} : { body: request.body }),
  };
  const result = (await handler(event, {} as Context)) as HttpResult;
  return { status: result.statusCode ?? 0, json: JSON.parse(String(result.body)) as Record<string, unknown> };
}

/** JSON texts that trip parsers up: wrong types, huge and tiny numbers, odd strings, deep nesting. */
const weirdJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    'null',
    '[]',
    '{}',
    '""',
    '-0',
    '1e308',
    '"\\u0000"',
    '"\\ud800"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{}}}',
  ),
  // Built as text: nesting far past what JSON.stringify (and the test) could serialise.
  fc.integer({ min: 9, max: 100_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 9, max: 50_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

const callField = fc.constantFrom(
  'type',
  'userId',
  'anonymousId',
  'event',
  'messageId',
  'timestamp',
  'sentAt',
  'originalTimestamp',
  'properties',
  'traits',
  'context',
  'integrations',
  'groupId',
  'previousId',
  'name',
  'category',
  'writeKey',
);

const objectText = (entries: [string, string][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** Objects shaped like calls, fields filled with anything; sometimes a valid call with one odd field. */
const callLike = fc.oneof(
  fc.array(fc.tuple(callField, weirdJson), { maxLength: 8 }).map(objectText),
  fc.tuple(callField, weirdJson).map(([field, value]) =>
    objectText([
      ['userId', '"u-1"'],
      ['event', '"Product Viewed"'],
      [field, value],
    ]),
  ),
);
const bodyText = fc.oneof(
  weirdJson,
  callLike,
  fc.array(fc.oneof(callLike, weirdJson), { maxLength: 6 }).map((items) => `{"batch":[${items.join(',')}]}`),
  fc
    .tuple(fc.array(callLike, { maxLength: 3 }), weirdJson, weirdJson)
    .map(
      ([items, context, sentAt]) => `{"batch":[${items.join(',')}],"context":${context},"sentAt":${sentAt}}`,
    ),
);

const encodedBody = fc.oneof(
  // JSON text, as most clients send
  bodyText.map((body) => ({ body, isBase64Encoded: false, encoding: undefined })),
  // text that is not JSON
  fc.string({ maxLength: 200 }).map((body) => ({ body, isBase64Encoded: false, encoding: undefined })),
  // random bytes, flagged binary, with or without a gzip header
  fc
    .tuple(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'GZIP', 'identity'),
    )
    .map(([bytes, encoding]) => ({
      body: Buffer.from(bytes).toString('base64'),
      isBase64Encoded: true,
      encoding,
    })),
  // well-formed gzip of anything, sometimes truncated
  fc.tuple(bodyText, fc.boolean()).map(([text, truncate]) => {
    const gzipped = gzipSync(text);
    const bytes = truncate ? gzipped.subarray(0, Math.floor(gzipped.length / 2)) : gzipped;
    return { body: bytes.toString('base64'), isBase64Encoded: true, encoding: 'gzip' };
  }),
  // base64 that is not base64, and no body at all
  fc.constantFrom(
    { body: '%%%not base64%%%', isBase64Encoded: true, encoding: 'gzip' },
    { body: undefined, isBase64Encoded: false, encoding: undefined },
  ),
);

const authorization = (writeKey: () => string) =>
  fc.oneof(
    fc.constant(() => basicAuth(writeKey())),
    fc.constant(() => basicAuth(writeKey())),
    fc.constant(() => undefined),
    fc.string({ maxLength: 40 }).map((text) => () => text),
    fc.string({ maxLength: 300 }).map((key) => () => basicAuth(key)),
    fc.constant(() => 'Bearer abc'),
  );

describe('the ingest function under arbitrary input', () => {
  it('answers every request with a client error or 200, never 5xx, and an error code when refusing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        encodedBody,
        authorization(() => tenant.writeKey),
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', ''),
        async (route, { body, isBase64Encoded, encoding }, auth, contentType) => {
          const header = auth();
          const response = await send({
            route,
            body,
            isBase64Encoded,
            headers: {
              ...(header === undefined ? {} : { authorization: header }),
              ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
              ...(contentType === '' ? {} : { 'content-type': contentType }),
            },
          });
          expect([200, ...CLIENT_ERRORS]).toContain(response.status);
          if (response.status !== 200) expect(typeof response.json.code).toBe('string');
        },
      ),
      { numRuns: 250 },
    );
  });

  it('writes every call it accepts and none it refuses', async () => {
    // Each call carries a marker of its own (its messageId), so the stream can be checked once at the end.
    const valid = fc.record({
      // Types that all take properties, so that every breakage below breaks every call.
      type: fc.constantFrom('track', 'page', 'screen'),
      event: fc.constant('Product Viewed'),
      properties: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
    });
    const breakage = fc.constantFrom<Record<string, unknown>>(
      { userId: undefined },
      { userId: 'x'.repeat(257) },
      { userId: 'anon:taken' },
      { type: 'purchase' },
      { type: undefined },
      { properties: 'shoes' },
      { properties: [1, 2] },
      { timestamp: '2024-05-01 12:00' },
      { sentAt: 1714564800 },
      { context: { channel: 'pos' } },
      { context: { location: { storeId: 7 } } },
      { properties: JSON.parse(`${'{"a":'.repeat(9)}1${'}'.repeat(9)}`) },
      { properties: { padding: 'x'.repeat(33 * 1024) } },
    );
    const item = fc.tuple(valid, fc.option(breakage, { freq: 2 })).map(([call, broken]) => {
      const messageId = `fuzz-${randomUUID()}`;
      const whole = { ...call, userId: `u-${randomUUID()}`, messageId };
      return { messageId, call: broken === null ? whole : { ...whole, ...broken }, invalid: broken !== null };
    });
    const accepted = new Set<string>();
    const refused = new Set<string>();

    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 8 }), async (items) => {
        const response = await send({
          route: 'POST /v1/batch',
          body: JSON.stringify({ batch: items.map(({ call }) => call) }),
          isBase64Encoded: false,
          headers: { authorization: basicAuth(tenant.writeKey) },
        });
        const refusedIndexes = new Set(
          ((response.json.rejected ?? []) as { index: number }[]).map(({ index }) => index),
        );
        expect(refusedIndexes).toEqual(
          new Set(items.flatMap(({ invalid }, index) => (invalid ? [index] : []))),
        );
        expect(response.status).toBe(refusedIndexes.size === items.length ? 400 : 200);
        for (const [index, { messageId }] of items.entries()) {
          (refusedIndexes.has(index) ? refused : accepted).add(messageId);
        }
      }),
      { numRuns: 60 },
    );

    const written = (await readAllRecords(resources.eventsStream))
      .map((record) => JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')))
      .filter((record) => record.kind === 'call')
      .map((record) => String(record.call.messageId));
    expect(written.filter((messageId) => refused.has(messageId))).toEqual([]);
    expect(new Set(written.filter((messageId) => accepted.has(messageId)))).toEqual(accepted);
    expect(written.filter((messageId) => accepted.has(messageId))).toHaveLength(accepted.size);
  });

  describe('while Kinesis is down', () => {
    afterAll(() => pointAdaptersAt(resources, { CONFIG_CACHE_SECONDS: '60' }));

    it('answers 503 to valid calls and still 4xx to invalid ones, never another 5xx', async () => {
      pointAdaptersAt(
        { ...resources, eventsStream: `missing-${randomUUID().slice(0, 8)}` },
        { CONFIG_CACHE_SECONDS: '60' },
      );
      await fc.assert(
        fc.asyncProperty(fc.boolean(), async (valid) => {
          const call = valid ? { userId: 'u-1', event: 'Product Viewed' } : { event: 'Product Viewed' };
          const response = await send({
            route: 'POST /v1/track',
            body: JSON.stringify(call),
            isBase64Encoded: false,
            headers: { authorization: basicAuth(tenant.writeKey) },
          });
          expect(response.status).toBe(valid ? 503 : 400);
        }),
        { numRuns: 4, examples: [[true], [false]] },
      );
    });
  });
});
