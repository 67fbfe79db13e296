import { createHash } from 'node:crypto';
import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';
import { ANONYMOUS_PREFIX, TrackEvent } from './track-event.js';

/**
 * What travels in the Kinesis stream, keyed by tenant and customer (see `partitionKeyOf`).
 * Everything that changes a customer's state arrives this way, so one processor invocation
 * at a time applies it, in order. `kind` leaves room for identify, consent, timer firings and
 * erasure.
 */
export const CustomerEventRecord = z.object({
  kind: z.literal('event'),
  tenantId: Slug,
  customerId: z.string().min(1).max(300),
  /** Stamped by ingest: the processor's deterministic clock for this record. */
  receivedAt: IsoDateTime,
  event: TrackEvent.and(z.object({ messageId: z.string().min(1).max(100) })),
});
export type CustomerEventRecord = z.infer<typeof CustomerEventRecord>;

export const StreamRecord = z.discriminatedUnion('kind', [CustomerEventRecord]);
export type StreamRecord = z.infer<typeof StreamRecord>;

/**
 * The customer key: a known user wins over an anonymous id, which is prefixed; TrackEvent refuses
 * user ids with that prefix, so the two cannot clash.
 */
export function customerIdOf(event: Pick<TrackEvent, 'userId' | 'anonymousId'>): string {
  if (event.userId !== undefined) return event.userId;
  return `${ANONYMOUS_PREFIX}${event.anonymousId}`;
}

/**
 * Kinesis partition key for one customer of one tenant: a hash of both, so every record of a
 * customer lands on the same shard in order, the key stays under Kinesis' 256-character limit
 * whatever the id, and no customer id (often an email) is exposed in stream metadata.
 */
export function partitionKeyOf(tenantId: string, customerId: string): string {
  return createHash('sha256').update(`${tenantId}#${customerId}`).digest('hex').slice(0, 32);
}
