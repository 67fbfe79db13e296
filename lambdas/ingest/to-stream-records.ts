import type { JsonObject } from '../../schemas/common.js';
import type { CallRecord } from '../../schemas/stream-record.js';
import { customerIdOf } from '../../schemas/stream-record.js';
import type { TrackEvent } from '../../schemas/track-event.js';

/**
 * Turns validated tracking calls into stream records: stamps `receivedAt`, gives a message id
 * to calls that came without one (so retries of the stored record stay idempotent), and lets a
 * batch-level context fill in for calls without their own, as Segment does.
 */
export function toStreamRecords(
  tenantId: string,
  calls: readonly TrackEvent[],
  receivedAt: Date,
  newMessageId: () => string,
  batchContext?: JsonObject,
): CallRecord[] {
  const received = receivedAt.toISOString();
  return calls.map((call) => ({
    kind: 'call',
    tenantId,
    customerId: customerIdOf(call),
    receivedAt: received,
    call: {
      type: 'track',
      messageId: call.messageId ?? newMessageId(),
      ...(call.userId === undefined ? {} : { userId: call.userId }),
      ...(call.anonymousId === undefined ? {} : { anonymousId: call.anonymousId }),
      event: call.event,
      properties: call.properties,
      context: call.context ?? batchContext ?? {},
      timestamp: call.timestamp ?? received,
      receivedAt: received,
      channel: 'server',
    },
  }));
}
