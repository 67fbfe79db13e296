import type { JsonObject } from '../../schemas/common.js';
import type { CustomerEventRecord } from '../../schemas/stream-record.js';
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
): CustomerEventRecord[] {
  return calls.map((call) => {
    const context = call.context ?? batchContext;
    return {
      kind: 'event',
      tenantId,
      customerId: customerIdOf(call),
      receivedAt: receivedAt.toISOString(),
      event: {
        ...call,
        ...(context === undefined ? {} : { context }),
        messageId: call.messageId ?? newMessageId(),
      },
    };
  });
}
