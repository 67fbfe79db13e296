import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/core/errors.js';
import { acceptBatch, acceptSingleCall } from '../../lambdas/ingest/accept-calls.js';
import { toStreamRecords } from '../../lambdas/ingest/to-stream-records.js';
import { StreamRecord } from '../../schemas/stream-record.js';
import { CALL_TYPES } from '../../schemas/tracking-api.js';

const settings = { receivedAt: new Date('2024-05-01T12:00:00.000Z'), newMessageId: () => 'generated' };
const sizeOf = (body: unknown) => Buffer.byteLength(JSON.stringify(body));
const batch = (body: Record<string, unknown>) => acceptBatch(body, sizeOf(body), settings);
const single = (type: (typeof CALL_TYPES)[number], body: unknown) =>
  acceptSingleCall(type, body, sizeOf(body), settings);

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

const valid = (i: number) => ({ type: 'track', userId: `u-${i}`, event: 'Product Viewed' });

describe('acceptBatch', () => {
  it('accepts the valid calls and lists every other one by index, code and path', () => {
    const result = batch({
      batch: [
        valid(0),
        { type: 'track', event: 'Product Viewed' },
        valid(2),
        { userId: 'u-3', event: 'x' },
        { type: 'purchase', userId: 'u-4' },
        'not a call',
        { type: 'identify', userId: 'u-6', traits: 'vip' },
        valid(7),
      ],
    });
    expect(result.calls.map((call) => call.userId)).toEqual(['u-0', 'u-2', 'u-7']);
    expect(result.rejected).toEqual([
      { index: 1, code: 'invalid_request', path: 'batch.1.userId', message: expect.stringMatching(/userId/) },
      { index: 3, code: 'invalid_request', path: 'batch.3.type', message: 'type is required in a batch' },
      { index: 4, code: 'invalid_request', path: 'batch.4.type', message: expect.stringMatching(/one of/) },
      { index: 5, code: 'invalid_request', path: 'batch.5', message: expect.any(String) },
      { index: 6, code: 'invalid_request', path: 'batch.6.traits', message: expect.any(String) },
    ]);
  });

  it('refuses a call over 32 KB alone, with payload_too_large', () => {
    const big = { ...valid(1), properties: { padding: 'x'.repeat(33 * 1024) } };
    const result = batch({ batch: [valid(0), big] });
    expect(result.calls).toHaveLength(1);
    expect(result.rejected).toEqual([
      { index: 1, code: 'payload_too_large', path: 'batch.1', message: expect.any(String) },
    ]);
  });

  it('counts the size in UTF-8 bytes, not characters', () => {
    const big = { ...valid(1), properties: { text: 'é'.repeat(17 * 1024) } };
    expect(batch({ batch: [big] }).rejected[0]?.code).toBe('payload_too_large');
  });

  it('refuses a call nested too deep, pointing at the offending level', () => {
    const deep = JSON.parse(`{"a":${'{"a":'.repeat(12)}1${'}'.repeat(12)}}`);
    const result = batch({ batch: [{ ...valid(0), properties: deep }] });
    expect(result.rejected[0]?.path).toBe(`batch.0.properties${'.a'.repeat(8)}`);
  });

  it('refuses a store call whose zone is not a string, and accepts it with one', () => {
    const store = (zone: unknown) => ({
      ...valid(0),
      context: { location: { storeId: 'paris-01' } },
      properties: { zone },
    });
    expect(batch({ batch: [store(3)] }).rejected[0]?.path).toBe('batch.0.properties.zone');
    expect(batch({ batch: [store('aisle-3')] }).calls[0]).toMatchObject({ channel: 'store' });
    // Outside a store, a zone is the sender's business.
    expect(batch({ batch: [{ ...valid(0), properties: { zone: 3 } }] }).calls).toHaveLength(1);
  });

  it('answers too_many_events over 2,500 calls and accepts 2,500', () => {
    const calls = (count: number) => Array.from({ length: count }, (_, i) => valid(i));
    expect(refusal(() => batch({ batch: calls(2_501) })).code).toBe('too_many_events');
    expect(batch({ batch: calls(2_500) }).calls).toHaveLength(2_500);
  });

  it('refuses an envelope that is not a batch, with the path of the problem', () => {
    expect(refusal(() => batch({ batch: [] })).problems[0]?.path).toBe('batch');
    expect(refusal(() => batch({ calls: [valid(0)] })).problems[0]?.path).toBe('batch');
    expect(refusal(() => batch({ batch: [valid(0)], context: { channel: 'pos' } })).problems[0]?.path).toBe(
      'context.channel',
    );
    expect(refusal(() => batch({ batch: [valid(0)], sentAt: 'now' })).problems[0]?.path).toBe('sentAt');
    expect(refusal(() => acceptBatch([valid(0)], 10, settings)).code).toBe('invalid_request');
  });

  it('ignores fields senders add around the batch, and applies the batch sentAt and context', () => {
    const result = batch({
      batch: [{ ...valid(0), timestamp: '2024-05-01T12:59:50.000Z' }],
      timestamp: '2024-05-01T13:00:00.000Z',
      sentAt: '2024-05-01T13:00:00.000Z',
      context: { library: { name: 'analytics.js' } },
      writeKey: 'wk',
    });
    expect(result.calls[0]).toMatchObject({ timestamp: '2024-05-01T11:59:50.000Z', channel: 'web' });
  });
});

describe('acceptSingleCall', () => {
  it('takes the call type from the endpoint', () => {
    const { calls } = single('identify', { userId: 'u-1', traits: { plan: 'gold' } });
    expect(calls[0]).toMatchObject({ type: 'identify', traits: { plan: 'gold' }, channel: 'server' });
  });

  it('refuses a body that names another type, with its path', () => {
    expect(refusal(() => single('track', { ...valid(0), type: 'identify' })).problems[0]?.path).toBe('type');
  });

  it('answers 413 over 32 KB', () => {
    const error = refusal(() => single('track', { ...valid(0), properties: { p: 'x'.repeat(32 * 1024) } }));
    expect([error.statusCode, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [[valid(0)], 'track', 42, null]) {
      expect(refusal(() => single('track', body)).code, JSON.stringify(body)).toBe('invalid_request');
    }
  });
});

describe('every accepted call', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const instant = fc
    .date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((date) => date.toISOString());
  const arbitraryCall = fc.record(
    {
      type: fc.constantFrom(...CALL_TYPES),
      userId: fc.oneof(fc.string({ minLength: 1, maxLength: 5 }), fc.constant(null)),
      anonymousId: fc.string({ minLength: 1, maxLength: 5 }),
      previousId: fc.string({ minLength: 1, maxLength: 5 }),
      groupId: fc.string({ minLength: 1, maxLength: 5 }),
      event: fc.string({ maxLength: 5 }),
      name: fc.string({ maxLength: 5 }),
      messageId: fc.string({ minLength: 1, maxLength: 100 }),
      timestamp: instant,
      sentAt: instant,
      properties: fc.dictionary(fc.string(), json),
      traits: fc.dictionary(fc.string(), json),
      context: fc.record(
        {
          channel: fc.constantFrom('web', 'store', 'pos'),
          library: fc.record({ name: fc.constantFrom('analytics.js', 'analytics-ios', 'x') }),
          location: fc.record({ storeId: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
          traits: fc.dictionary(fc.string(), json),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['type'] },
  );

  it('makes stream records that the processor can read', () => {
    let acceptedInAll = 0;
    fc.assert(
      fc.property(fc.array(arbitraryCall, { minLength: 1, maxLength: 5 }), (calls) => {
        const { calls: accepted, rejected } = batch({ batch: calls });
        expect(accepted.length + rejected.length).toBe(calls.length);
        acceptedInAll += accepted.length;
        for (const record of toStreamRecords('acme', accepted)) {
          const parsed = StreamRecord.safeParse(record);
          expect(parsed.error?.issues ?? []).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
    // The property says something only if many calls were valid.
    expect(acceptedInAll).toBeGreaterThan(100);
  });
});
