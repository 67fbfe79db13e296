import { describe, expect, it } from 'vitest';
import { toStreamRecords } from '../../lambdas/ingest/to-stream-records.js';
import { CallRecord } from '../../schemas/stream-record.js';
import { TrackEvent } from '../../schemas/track-event.js';

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

const call = (input: Record<string, unknown>) => TrackEvent.parse({ event: 'Product Viewed', ...input });

describe('toStreamRecords', () => {
  it('stamps every record with the time ingest received it, and the tenant and customer', () => {
    const { newMessageId } = messageIds();
    const records = toStreamRecords(
      'acme',
      [call({ userId: 'u-1', messageId: 'm-1' }), call({ anonymousId: 'd-1', messageId: 'm-2' })],
      receivedAt,
      newMessageId,
    );
    expect(records.map((r) => [r.kind, r.tenantId, r.customerId, r.receivedAt])).toEqual([
      ['call', 'acme', 'u-1', '2024-05-01T12:34:56.789Z'],
      ['call', 'acme', 'anon:d-1', '2024-05-01T12:34:56.789Z'],
    ]);
    for (const record of records) expect(CallRecord.safeParse(record).success).toBe(true);
  });

  it('keeps the event exactly as sent, its own timestamp included', () => {
    const sent = call({
      userId: 'u-1',
      messageId: 'm-1',
      timestamp: '2024-04-30T08:00:00Z',
      properties: { category: 'shoes' },
      context: { locale: 'fr-FR' },
    });
    const [record] = toStreamRecords('acme', [sent], receivedAt, messageIds().newMessageId);
    expect(record?.call).toMatchObject({ ...sent, type: 'track' });
  });

  it('keeps a messageId the caller gave and mints none', () => {
    const { issued, newMessageId } = messageIds();
    const [record] = toStreamRecords(
      'acme',
      [call({ userId: 'u-1', messageId: 'client-7' })],
      receivedAt,
      newMessageId,
    );
    expect(record?.call.messageId).toBe('client-7');
    expect(issued).toEqual([]);
  });

  it('gives each call without a messageId a new one of its own', () => {
    const { issued, newMessageId } = messageIds();
    const records = toStreamRecords(
      'acme',
      [call({ userId: 'u-1' }), call({ userId: 'u-1', messageId: 'client-7' }), call({ userId: 'u-2' })],
      receivedAt,
      newMessageId,
    );
    expect(records.map((r) => r.call.messageId)).toEqual(['generated-1', 'client-7', 'generated-2']);
    expect(issued).toEqual(['generated-1', 'generated-2']);
  });

  it('lets the batch context fill in only for calls that have none', () => {
    const batchContext = { library: { name: 'analytics.js' } };
    const records = toStreamRecords(
      'acme',
      [
        call({ userId: 'u-1', messageId: 'm-1' }),
        call({ userId: 'u-1', messageId: 'm-2', context: { locale: 'fr-FR' } }),
        call({ userId: 'u-1', messageId: 'm-3', context: {} }),
      ],
      receivedAt,
      messageIds().newMessageId,
      batchContext,
    );
    expect(records.map((r) => r.call.context)).toEqual([batchContext, { locale: 'fr-FR' }, {}]);
  });

  it('gives an empty context when neither the call nor the batch has one', () => {
    const [record] = toStreamRecords(
      'acme',
      [call({ userId: 'u-1' })],
      receivedAt,
      messageIds().newMessageId,
    );
    expect(record?.call.context).toEqual({});
  });

  it('returns no records for no calls', () => {
    expect(toStreamRecords('acme', [], receivedAt, messageIds().newMessageId)).toEqual([]);
  });
});
