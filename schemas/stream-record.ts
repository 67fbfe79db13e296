import { createHash } from 'node:crypto';
import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';
import { ConsentChange } from './consent.js';
import { MergedHistory } from './customer-state.js';
import { ANONYMOUS_PREFIX, SegmentCall } from './segment-call.js';
import type { Timer } from './timer.js';

/**
 * What travels in the Kinesis stream, keyed by tenant and customer (see `partitionKeyOf`).
 * Everything that changes a customer's state arrives this way, so one processor invocation at
 * a time applies it, in order.
 */
const RecordBase = {
  tenantId: Slug,
  /** The customer whose state this record changes (`customerIdOf`). */
  customerId: z.string().min(1).max(300),
  /** Stamped by ingest: the processor's deterministic clock for this record. */
  receivedAt: IsoDateTime,
};

/** A tracking call (track, page, screen, identify, group, alias) for one customer. */
export const CallRecord = z.object({ kind: z.literal('call'), ...RecordBase, call: SegmentCall });
export type CallRecord = z.infer<typeof CallRecord>;

/**
 * "This customer is now known as `linkTo`": sent by ingest to the partition of the anonymous
 * (or previous) id when an identify or alias call joins two ids. That customer's processor
 * hands its state over to `linkTo` and forwards whatever arrives for it later.
 */
export const LinkRecord = z.object({
  kind: z.literal('link'),
  ...RecordBase,
  /**
   * `<messageId>:link`, `<messageId>:link-anon` or `<messageId>:link-user`: a message id (up to
   * 100 characters) and a suffix, so longer than a message id may be.
   */
  linkId: z.string().min(1).max(120),
  linkTo: z.string().min(1).max(300),
});
export type LinkRecord = z.infer<typeof LinkRecord>;

/**
 * Written by the processor, not by ingest: the history of a joined id (`from`), handed to the
 * customer it now belongs to. `mergeId` travels as a message id, so a replay merges nothing twice.
 */
export const MergeRecord = z.object({
  kind: z.literal('merge'),
  ...RecordBase,
  /** `<linkId>:merge`. */
  mergeId: z.string().min(1).max(140),
  from: z.string().min(1).max(300),
  history: MergedHistory,
});
export type MergeRecord = z.infer<typeof MergeRecord>;

/**
 * Put by the sweeper when a journey's timer is due (a wait ends, a waitForEvent times out): it
 * comes back through the stream under the customer's key, so the processor stays the only
 * writer of the customer. `timerId` travels as a message id: a timer fires once.
 */
export const TimerRecord = z.object({
  kind: z.literal('timer'),
  ...RecordBase,
  timerId: z.string().min(1).max(140),
  instanceId: z.string().min(1).max(140),
  dueAt: IsoDateTime,
});
export type TimerRecord = z.infer<typeof TimerRecord>;

/**
 * The record the sweeper puts when `timer` is due; `at` is when it is put (at or after `dueAt`),
 * the processor's clock for it. The dry run builds the same record, at the due time.
 */
export function timerFiredRecord(timer: Timer, at: string): TimerRecord {
  return {
    kind: 'timer',
    tenantId: timer.tenantId,
    customerId: timer.customerId,
    receivedAt: at,
    timerId: timer.timerId,
    instanceId: timer.instanceId,
    dueAt: timer.dueAt,
  };
}

/**
 * A consent change for one customer, from the consent API (issue 5). `changeId` travels as a
 * message id (a change is applied once) and names its history item.
 */
export const ConsentRecord = z.object({
  kind: z.literal('consent'),
  ...RecordBase,
  changeId: z.string().min(1).max(140),
  change: ConsentChange,
});
export type ConsentRecord = z.infer<typeof ConsentRecord>;

/**
 * "Forget this customer" (GDPR art. 17): put by the privacy API (`POST /v1/me/erasure`) and the
 * customer API (`DELETE /v1/customers/{id}`) under the customer's key, so it is applied after
 * every record already in the stream for them. The processor (lambdas/processor/erase-customer.ts),
 * not the pure engine, applies it: it deletes the customer's partition, forwards the erasure to
 * the ids merged into them and leaves a tombstone. `erasureId` travels as a message id.
 */
export const EraseRecord = z.object({
  kind: z.literal('erase'),
  ...RecordBase,
  erasureId: z.string().min(1).max(64),
  /** Who asked: the customer through the privacy API, the business, or a forward from a merged id. */
  requestedBy: z.enum(['customer', 'business', 'merged']),
});
export type EraseRecord = z.infer<typeof EraseRecord>;

export const StreamRecord = z.discriminatedUnion('kind', [
  CallRecord,
  LinkRecord,
  MergeRecord,
  TimerRecord,
  ConsentRecord,
  EraseRecord,
]);
export type StreamRecord = z.infer<typeof StreamRecord>;

/**
 * The customer key: a known user wins over an anonymous id, which is prefixed; user ids with
 * that prefix are refused at ingest, so the two cannot clash.
 */
export function customerIdOf(ids: { userId?: string | undefined; anonymousId?: string | undefined }): string {
  if (ids.userId !== undefined) return ids.userId;
  return `${ANONYMOUS_PREFIX}${ids.anonymousId}`;
}

/**
 * Kinesis partition key for one customer of one tenant: a hash of both, so every record of a
 * customer lands on the same shard in order, the key stays under Kinesis' 256-character limit
 * whatever the id, and no customer id (often an email) is exposed in stream metadata.
 */
export function partitionKeyOf(tenantId: string, customerId: string): string {
  return createHash('sha256').update(`${tenantId}#${customerId}`).digest('hex').slice(0, 32);
}
