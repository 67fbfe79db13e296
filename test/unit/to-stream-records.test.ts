import { describe, expect, it } from 'vitest';
import { type BatchDefaults, normaliseCall } from '../../lambdas/ingest/normalise-call.js';
import { toStreamRecords } from '../../lambdas/ingest/to-stream-records.js';
import { CallRecord, LinkRecord, StreamRecord } from '../../schemas/stream-record.js';
import { CALL_INPUTS, type CallInput, type CallType } from '../../schemas/tracking-api.js';

const receivedAt = new Date('2024-05-01T12:34:56.789Z');

/** Message ids handed out in order, so a test can tell which call got which. */
function messageIds() {
  let next = 0;
  const issued: string[] = [];
  const newMessageId = () => {
    next += 1;
    const id = `generated-${next}`;
    issued.push(id);
    return id;
  };
  return { issued, newMessageId };
}

/** A call as the API would have validated it. */
const input = (type: CallType, fields: Record<string, unknown>): CallInput =>
  ({ ...CALL_INPUTS[type].parse(fields), type }) as CallInput;
const track = (fields: Record<string, unknown>) => input('track', { event: 'Product Viewed', ...fields });

const normalise = (calls: CallInput[], defaults?: BatchDefaults, ids = messageIds()) =>
  calls.map((call) => normaliseCall(call, receivedAt, ids.newMessageId, defaults));

describe('toStreamRecords', () => {
  it('stamps every record with the time ingest received it, and the tenant and customer', () => {
    const records = toStreamRecords(
      'acme',
      normalise([
        track({ userId: 'u-1', messageId: 'm-1' }),
        track({ anonymousId: 'd-1', messageId: 'm-2' }),
      ]),
    );
    expect(records.map((r) => [r.kind, r.tenantId, r.customerId, r.receivedAt])).toEqual([
      ['call', 'acme', 'u-1', '2024-05-01T12:34:56.789Z'],
      ['call', 'acme', 'anon:d-1', '2024-05-01T12:34:56.789Z'],
    ]);
    for (const record of records) expect(CallRecord.safeParse(record).success).toBe(true);
  });

  it('keeps the event as sent, its own timestamp included', () => {
    const sent = {
      userId: 'u-1',
      messageId: 'm-1',
      timestamp: '2024-04-30T08:00:00.000Z',
      properties: { category: 'shoes' },
      context: { locale: 'fr-FR' },
    };
    const [record] = toStreamRecords('acme', normalise([track(sent)]));
    expect(record?.kind === 'call' && record.call).toMatchObject({ ...sent, type: 'track' });
  });

  it('files an identify with both ids under the user, and links the anonymous visitor to the user', () => {
    const identify = input('identify', {
      userId: 'claire',
      anonymousId: 'browser-7',
      messageId: 'id-1',
      traits: { plan: 'gold' },
    });
    const records = toStreamRecords('acme', normalise([identify]));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ kind: 'call', customerId: 'claire', call: { type: 'identify' } });
    expect(records[1]).toEqual({
      kind: 'link',
      tenantId: 'acme',
      customerId: 'anon:browser-7',
      receivedAt: receivedAt.toISOString(),
      linkId: 'id-1:link',
      linkTo: 'claire',
    });
    for (const record of records) expect(StreamRecord.safeParse(record).success).toBe(true);
  });

  it('links nothing for an identify that carries only one id', () => {
    const records = toStreamRecords(
      'acme',
      normalise([input('identify', { userId: 'claire' }), input('identify', { anonymousId: 'browser-7' })]),
    );
    expect(records.map((r) => [r.kind, r.customerId])).toEqual([
      ['call', 'claire'],
      ['call', 'anon:browser-7'],
    ]);
  });

  it('files an alias under its userId and links previousId both as a visitor and as a former user id', () => {
    const alias = input('alias', { userId: 'claire', previousId: 'old-42', messageId: 'al-1' });
    const records = toStreamRecords('acme', normalise([alias]));
    expect(
      records.map((r) => [r.kind, r.customerId, r.kind === 'link' ? [r.linkId, r.linkTo] : null]),
    ).toEqual([
      ['call', 'claire', null],
      ['link', 'anon:old-42', ['al-1:link-anon', 'claire']],
      ['link', 'old-42', ['al-1:link-user', 'claire']],
    ]);
  });

  it('links no user id to itself, and none in the anonymous namespace', () => {
    const same = toStreamRecords(
      'acme',
      normalise([input('alias', { userId: 'claire', previousId: 'claire' })]),
    );
    expect(same.filter((r) => r.kind === 'link').map((r) => r.customerId)).toEqual(['anon:claire']);
    const anonymous = toStreamRecords(
      'acme',
      normalise([input('alias', { userId: 'claire', previousId: 'anon:x' })]),
    );
    expect(anonymous.filter((r) => r.kind === 'link').map((r) => r.customerId)).toEqual(['anon:anon:x']);
  });

  it('gives link ids that fit the stream schema for the longest message id', () => {
    const alias = input('alias', { userId: 'claire', previousId: 'old', messageId: 'm'.repeat(100) });
    for (const record of toStreamRecords('acme', normalise([alias])).filter((r) => r.kind === 'link')) {
      expect(LinkRecord.safeParse(record).success).toBe(true);
    }
  });

  it('returns no records for no calls', () => {
    expect(toStreamRecords('acme', [])).toEqual([]);
  });
});

describe('normaliseCall', () => {
  it('reads null fields as absent', () => {
    const [call] = normalise([
      track({
        userId: 'u-1',
        anonymousId: null,
        messageId: null,
        timestamp: null,
        context: null,
        properties: null,
        integrations: null,
      }),
    ]);
    expect(call).toEqual({
      type: 'track',
      userId: 'u-1',
      event: 'Product Viewed',
      messageId: 'generated-1',
      timestamp: receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      channel: 'server',
      context: {},
      properties: {},
    });
  });

  it('keeps a messageId the caller gave and mints one for each call without', () => {
    const ids = messageIds();
    const calls = normalise(
      [track({ userId: 'u-1' }), track({ userId: 'u-1', messageId: 'client-7' }), track({ userId: 'u-2' })],
      {},
      ids,
    );
    expect(calls.map((c) => c.messageId)).toEqual(['generated-1', 'client-7', 'generated-2']);
    expect(ids.issued).toEqual(['generated-1', 'generated-2']);
  });

  it('lets the batch context fill in only for calls that have none, and gives an empty one otherwise', () => {
    const batchContext = { locale: 'en-GB' };
    const calls = normalise(
      [
        track({ userId: 'u-1' }),
        track({ userId: 'u-1', context: { locale: 'fr-FR' } }),
        track({ userId: 'u-1', context: {} }),
      ],
      { context: batchContext },
    );
    expect(calls.map((c) => c.context)).toEqual([batchContext, { locale: 'fr-FR' }, {}]);
    expect(normalise([track({ userId: 'u-1' })])[0]?.context).toEqual({});
  });

  it('corrects the timestamp for the sender’s clock skew when sentAt is given, keeping the original', () => {
    // The sender's clock is 1 h ahead; the call happened 5 s before it was sent.
    const [call] = normalise([
      track({ userId: 'u-1', timestamp: '2024-05-01T13:34:50.000Z', sentAt: '2024-05-01T13:34:55.000Z' }),
    ]);
    expect(call?.timestamp).toBe('2024-05-01T12:34:51.789Z');
    expect(call?.originalTimestamp).toBe('2024-05-01T13:34:50.000Z');
    expect(call?.sentAt).toBe('2024-05-01T13:34:55.000Z');
    expect(call?.receivedAt).toBe(receivedAt.toISOString());
  });

  it('uses originalTimestamp, then sentAt itself, when the call has no timestamp', () => {
    const [fromOriginal, fromSentAt] = normalise([
      track({
        userId: 'u-1',
        originalTimestamp: '2024-05-01T10:00:00.000Z',
        sentAt: '2024-05-01T10:00:10.000Z',
      }),
      track({ userId: 'u-1', sentAt: '2030-01-01T00:00:00.000Z' }),
    ]);
    expect(fromOriginal?.timestamp).toBe('2024-05-01T12:34:46.789Z');
    expect(fromOriginal?.originalTimestamp).toBe('2024-05-01T10:00:00.000Z');
    expect(fromSentAt?.timestamp).toBe(receivedAt.toISOString());
  });

  it('takes the batch sentAt for calls without their own', () => {
    const [call] = normalise([track({ userId: 'u-1', timestamp: '2024-05-01T13:34:50.000Z' })], {
      sentAt: '2024-05-01T13:34:55.000Z',
    });
    expect(call?.timestamp).toBe('2024-05-01T12:34:51.789Z');
  });

  it('keeps the timestamp as sent (in UTC) without sentAt, and uses receivedAt without either', () => {
    const [given, none] = normalise([
      track({ userId: 'u-1', timestamp: '2024-04-30T10:00:00+02:00' }),
      track({ userId: 'u-1' }),
    ]);
    expect(given?.timestamp).toBe('2024-04-30T08:00:00.000Z');
    expect(given).not.toHaveProperty('originalTimestamp');
    expect(none?.timestamp).toBe(receivedAt.toISOString());
  });

  it('falls back to receivedAt when a corrected timestamp would leave years 0–9999', () => {
    const [call] = normalise([
      track({ userId: 'u-1', timestamp: '0001-01-01T00:00:00Z', sentAt: '9999-01-01T00:00:00Z' }),
    ]);
    expect(call?.timestamp).toBe(receivedAt.toISOString());
  });

  it('puts a page or screen name in properties.name unless properties has one', () => {
    const [page, screen] = normalise([
      input('page', { userId: 'u-1', name: 'Home', category: 'Docs' }),
      input('screen', { userId: 'u-1', name: 'Cart', properties: { name: 'kept' } }),
    ]);
    expect(page).toMatchObject({
      name: 'Home',
      category: 'Docs',
      properties: { name: 'Home', category: 'Docs' },
    });
    expect(screen).toMatchObject({ name: 'Cart', properties: { name: 'kept' } });
  });

  it('copies a store id given as a property or trait into context.location.storeId', () => {
    const [tracked, identified] = normalise([
      track({ userId: 'u-1', properties: { storeId: 'paris-01', zone: 'shoes' } }),
      input('identify', { userId: 'u-1', traits: { storeId: 'lyon-02' } }),
    ]);
    expect(tracked).toMatchObject({ channel: 'store', context: { location: { storeId: 'paris-01' } } });
    expect(tracked).toMatchObject({ properties: { zone: 'shoes' } });
    expect(identified).toMatchObject({ channel: 'store', context: { location: { storeId: 'lyon-02' } } });
  });
});
