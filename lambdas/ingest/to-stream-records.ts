import { ANONYMOUS_PREFIX, type SegmentCall } from '../../schemas/segment-call.js';
import type { CallRecord, LinkRecord, StreamRecord } from '../../schemas/stream-record.js';
import { customerIdOf } from '../../schemas/stream-record.js';

function linkRecord(
  tenantId: string,
  call: SegmentCall,
  customerId: string,
  suffix: string,
  linkTo: string,
): LinkRecord {
  return {
    kind: 'link',
    tenantId,
    customerId,
    receivedAt: call.receivedAt,
    linkId: `${call.messageId}:${suffix}`,
    linkTo,
  };
}

/**
 * The "this id is now `userId`" records a call implies, each sent to the partition of the id
 * that joins, so that the processor of that id hands its state over under the single-writer rule:
 * - `identify` with both ids: the anonymous visitor (`anon:<anonymousId>`) is the user;
 * - `alias`: `previousId`, taken both as an anonymous id and as a former user id, is `userId`.
 *   A `previousId` in the anonymous namespace cannot be a user id (user ids may not start with
 *   `anon:`), so it gets no user-id link: that key would be another visitor's.
 */
export function linkRecordsOf(tenantId: string, call: SegmentCall): LinkRecord[] {
  if (call.type === 'identify' && call.userId !== undefined && call.anonymousId !== undefined) {
    return [linkRecord(tenantId, call, customerIdOf({ anonymousId: call.anonymousId }), 'link', call.userId)];
  }
  if (call.type !== 'alias') return [];
  const links = [
    linkRecord(tenantId, call, customerIdOf({ anonymousId: call.previousId }), 'link-anon', call.userId),
  ];
  if (call.previousId !== call.userId && !call.previousId.startsWith(ANONYMOUS_PREFIX)) {
    links.push(linkRecord(tenantId, call, call.previousId, 'link-user', call.userId));
  }
  return links;
}

/**
 * Normalised calls as stream records: one `CallRecord` per call under its customer (`userId`
 * wins, else `anon:<anonymousId>`; an alias under its `userId`), followed by the `LinkRecord`s
 * an identify or alias call implies.
 */
export function toStreamRecords(tenantId: string, calls: readonly SegmentCall[]): StreamRecord[] {
  const records: StreamRecord[] = [];
  for (const call of calls) {
    const callRecord: CallRecord = {
      kind: 'call',
      tenantId,
      customerId: customerIdOf(call),
      receivedAt: call.receivedAt,
      call,
    };
    records.push(callRecord, ...linkRecordsOf(tenantId, call));
  }
  return records;
}
