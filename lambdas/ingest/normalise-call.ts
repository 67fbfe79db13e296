import type { JsonObject } from '../../schemas/common.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import type { CallInput } from '../../schemas/tracking-api.js';
import { deriveChannel, storeIdOf } from './derive-channel.js';

/** What a batch gives the calls that lack their own. */
export interface BatchDefaults {
  context?: JsonObject | null | undefined;
  sentAt?: string | null | undefined;
}

/** Segment libraries of other languages send `null` for what they were not given: it reads as absent. */
const present = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/** The instants an ISO-8601 timestamp with a four-digit year can name: what the stream accepts. */
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * When the call happened, corrected for the sender's clock skew as Segment does: when `sentAt`
 * is known, the time between the call and its sending (both by the sender's clock) is taken
 * back from `receivedAt` (by ours): `timestamp = receivedAt − (sentAt − (timestamp ??
 * originalTimestamp ?? sentAt))`. The sender's own reading is kept as `originalTimestamp`.
 * A correction that lands outside years 0–9999 (absurd clocks) falls back to `receivedAt`.
 */
export function correctedTimes(
  call: { timestamp?: string | null | undefined; originalTimestamp?: string | null | undefined },
  sentAt: string | undefined,
  receivedAt: Date,
): { timestamp: string; originalTimestamp?: string } {
  const senderTime = present(call.timestamp ?? call.originalTimestamp);
  const originalTimestamp = present(
    call.originalTimestamp ?? (sentAt === undefined ? undefined : call.timestamp),
  );
  const kept = originalTimestamp === undefined ? {} : { originalTimestamp };
  if (sentAt === undefined) {
    const at = senderTime === undefined ? receivedAt.getTime() : Date.parse(senderTime);
    return { timestamp: new Date(at).toISOString(), ...kept };
  }
  const corrected = receivedAt.getTime() - (Date.parse(sentAt) - Date.parse(senderTime ?? sentAt));
  const inRange = corrected >= EARLIEST && corrected <= LATEST;
  return { timestamp: new Date(inRange ? corrected : receivedAt.getTime()).toISOString(), ...kept };
}

/** The context, with the store id copied to `context.location.storeId` when it came from elsewhere. */
function contextWithStore(context: JsonObject, storeId: string | undefined): JsonObject {
  if (storeId === undefined) return context;
  const location = context.location as JsonObject | undefined;
  if (location?.storeId === storeId) return context;
  return { ...context, location: { ...location, storeId } };
}

/** Page and screen names stay readable by journeys as `properties.name` (and `category`), as analytics.js does. */
function withNameInProperties(
  properties: JsonObject | null | undefined,
  name: string | undefined,
  category: string | undefined,
): JsonObject {
  const base = properties ?? {};
  if (
    (name === undefined || base.name !== undefined) &&
    (category === undefined || base.category !== undefined)
  )
    return base;
  return {
    ...base,
    ...(name === undefined || base.name !== undefined ? {} : { name }),
    ...(category === undefined || base.category !== undefined ? {} : { category }),
  };
}

/**
 * A validated call as it travels in the stream: `receivedAt` stamped, a `messageId` minted when
 * the sender gave none (so a redelivered record stays idempotent), `timestamp` corrected for clock
 * skew, `channel` derived (see derive-channel.ts), the batch's context and `sentAt` filled in
 * for calls without their own. Pure: time and ids are inputs.
 */
export function normaliseCall(
  input: CallInput,
  receivedAt: Date,
  newMessageId: () => string,
  defaults: BatchDefaults = {},
): SegmentCall {
  const sentAt = present(input.sentAt ?? defaults.sentAt);
  const name = input.type === 'page' || input.type === 'screen' ? present(input.name) : undefined;
  const category = input.type === 'page' || input.type === 'screen' ? present(input.category) : undefined;
  const properties =
    input.type === 'page' || input.type === 'screen'
      ? withNameInProperties(input.properties, name, category)
      : input.type === 'track'
        ? (input.properties ?? {})
        : undefined;
  const traits = input.type === 'identify' || input.type === 'group' ? (input.traits ?? {}) : undefined;
  const givenContext = input.context ?? defaults.context ?? {};
  const storeId = storeIdOf({ context: givenContext, properties, traits });
  const context = contextWithStore(givenContext, storeId);

  const common = {
    messageId: input.messageId ?? newMessageId(),
    ...(input.userId == null ? {} : { userId: input.userId }),
    ...(input.anonymousId == null ? {} : { anonymousId: input.anonymousId }),
    ...correctedTimes(input, sentAt, receivedAt),
    ...(sentAt === undefined ? {} : { sentAt }),
    receivedAt: receivedAt.toISOString(),
    channel: deriveChannel(context, storeId),
    context,
    ...(input.integrations == null ? {} : { integrations: input.integrations }),
  };
  switch (input.type) {
    case 'track':
      return { type: 'track', ...common, event: input.event, properties: properties ?? {} };
    case 'page':
    case 'screen':
      return {
        type: input.type,
        ...common,
        ...(name === undefined ? {} : { name }),
        ...(category === undefined ? {} : { category }),
        properties: properties ?? {},
      };
    case 'identify':
      return { type: 'identify', ...common, traits: traits ?? {} };
    case 'group':
      return { type: 'group', ...common, groupId: input.groupId, traits: traits ?? {} };
    case 'alias':
      return { type: 'alias', ...common, userId: input.userId, previousId: input.previousId };
  }
}
