import { createHash } from 'node:crypto';
import type { ActionWebhookBody } from '../../schemas/action.js';
import { type CustomerState, RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';
import { ANONYMOUS_PREFIX, eventNameOf } from '../../schemas/segment-call.js';
import type { CallRecord, StreamRecord } from '../../schemas/stream-record.js';
import { linkToKnownCustomer, mergeHistory } from './identity.js';
import {
  applyEventToJourneys,
  applyProfileChangeToJourneys,
  applyTimerToJourneys,
  type JourneyEffects,
  noEffects,
  type PublishedJourneys,
  recordBehaviour,
} from './journey-runtime.js';
import { applyCallToProfile, emptyProfile, withAnonymousId } from './profile.js';

export { type CompiledJourney, compileJourneys, type PublishedJourneys } from './journey-runtime.js';

/** One record from the stream, with the position that orders it. */
export interface SequencedRecord {
  sequenceNumber: string;
  record: StreamRecord;
}

/** An action to record and deliver: everything but its delivery bookkeeping. */
export type ActionIntent = ActionWebhookBody;

export interface CustomerOutcome extends JourneyEffects {
  /** The state to write back, or the previous one untouched when nothing was applied. */
  state: CustomerState;
  /**
   * Records for other customers, to put in the stream before the state is written: a joined
   * id's history for the known customer, and records that arrived for an id already joined.
   */
  forwards: StreamRecord[];
  applied: number;
  /** Records already applied before (stream redelivery) or repeated by the sender (same messageId). */
  duplicates: number;
}

function emptyState(record: StreamRecord): CustomerState {
  const at = record.kind === 'call' ? record.call.timestamp : record.receivedAt;
  return {
    tenantId: record.tenantId,
    customerId: record.customerId,
    version: 0,
    recentMessageIds: [],
    eventCount: 0,
    firstSeenAt: at,
    lastSeenAt: at,
    journeys: {},
  };
}

/** The id that makes a record unique for its customer: what the dedupe window remembers. */
function messageIdOf(record: StreamRecord): string {
  switch (record.kind) {
    case 'call':
      return record.call.messageId;
    case 'link':
      return record.linkId;
    case 'merge':
      return record.mergeId;
    case 'timer':
      return record.timerId;
    case 'erase':
      return record.erasureId;
  }
}

/**
 * How a message id is remembered: short ids as they are, longer ones (UUIDs, timer ids) as `#`
 * and 11 base64url characters of their SHA-256 — a third of the size, and a false duplicate
 * about once in 10^18 records. A customer's state is mostly this window, and every write pays
 * for the whole item.
 */
export function messageIdKey(messageId: string): string {
  if (messageId.length <= 12) return messageId;
  return `#${createHash('sha256').update(messageId).digest('base64url').slice(0, 11)}`;
}

/**
 * The last RECENT_MESSAGE_IDS_KEPT message ids, oldest first. The window slides per record, so a
 * repeated message is judged the same whether or not a batch boundary falls in between.
 */
class RecentMessageIds {
  private readonly ids: string[];
  private readonly members: Set<string>;

  constructor(stored: readonly string[]) {
    this.ids = stored.slice(-RECENT_MESSAGE_IDS_KEPT);
    this.members = new Set(this.ids);
  }

  has(id: string): boolean {
    // The raw id too: states written before ids were stored as digests still dedupe.
    return this.members.has(messageIdKey(id)) || this.members.has(id);
  }

  add(id: string): void {
    const key = messageIdKey(id);
    this.ids.push(key);
    this.members.add(key);
    while (this.ids.length > RECENT_MESSAGE_IDS_KEPT) this.members.delete(this.ids.shift() as string);
  }

  toArray(): string[] {
    return [...this.ids];
  }
}

/**
 * How redeliveries are recognised. Normally by both the applied sequence number and the recent
 * message ids. After a write conflict with an overlapping writer, the stored watermark may be
 * ahead of records that were never applied (the other writer had later ones): then only the
 * message ids, which name exactly what was applied, are trusted.
 */
export type DedupeMode = 'sequence-and-message-id' | 'message-id-only';

function laterSequence(current: string | undefined, candidate: string): string {
  return current !== undefined && BigInt(current) > BigInt(candidate) ? current : candidate;
}

function isAtOrBelow(sequenceNumber: string, watermark: string | undefined): boolean {
  return watermark !== undefined && BigInt(sequenceNumber) <= BigInt(watermark);
}

function laterOf(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function earlierOf(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/**
 * Applies one customer's records, in stream order, to their state: the heart of the journey
 * processor, with no I/O, clock or randomness. Records at or below the applied sequence number,
 * or with a message id seen recently, change nothing, so any redelivery is harmless.
 *
 * @example
 * const { state, actions } = applyRecordsToCustomer(stored, records, compileJourneys(journeys));
 */
export function applyRecordsToCustomer(
  previous: CustomerState | undefined,
  records: readonly SequencedRecord[],
  journeys: PublishedJourneys,
  dedupe: DedupeMode = 'sequence-and-message-id',
): CustomerOutcome {
  const first = records[0];
  const effects = noEffects();
  if (first === undefined) {
    if (previous === undefined) throw new Error('applyRecordsToCustomer needs a state or a record');
    return { state: previous, ...effects, forwards: [], applied: 0, duplicates: 0 };
  }
  let state = previous ?? emptyState(first.record);
  const recent = new RecentMessageIds(state.recentMessageIds);
  const forwards: StreamRecord[] = [];
  let applied = 0;
  let duplicates = 0;

  for (const { sequenceNumber, record } of records) {
    const messageId = messageIdOf(record);
    const belowWatermark =
      dedupe === 'sequence-and-message-id' && isAtOrBelow(sequenceNumber, state.appliedSequence);
    if (belowWatermark || recent.has(messageId)) {
      duplicates += 1;
      continue;
    }
    recent.add(messageId);
    state = applyOne(state, record, journeys, effects, forwards);
    state = {
      ...state,
      appliedSequence: laterSequence(state.appliedSequence, sequenceNumber),
      recentMessageIds: recent.toArray(),
    };
    applied += 1;
  }
  return { state, ...effects, forwards, applied, duplicates };
}

function applyOne(
  state: CustomerState,
  record: StreamRecord,
  journeys: PublishedJourneys,
  effects: JourneyEffects,
  forwards: StreamRecord[],
): CustomerState {
  if (record.kind === 'link') {
    const linked = linkToKnownCustomer(state, record);
    if (linked.merge === undefined) return linked.state;
    forwards.push(linked.merge);
    // The joined id's own journeys end here; their progress went with the history.
    for (const instance of Object.values(state.instances ?? {})) {
      if (instance.waiting !== undefined) effects.timers.cancel.push(instance.waiting.timerId);
    }
    const { instances: _ended, ...withoutInstances } = linked.state;
    return withoutInstances;
  }
  // The processor applies erasures itself (lambdas/processor/erase-customer.ts): it is I/O.
  if (record.kind === 'erase') return state;
  if (state.mergedInto !== undefined) {
    // This id belongs to a known customer now: whatever arrives for it goes there, same ids.
    forwards.push({ ...record, customerId: state.mergedInto });
    return state;
  }
  if (record.kind === 'merge') {
    const merged = mergeHistory(state, record.history, record.from);
    if (!record.from.startsWith(ANONYMOUS_PREFIX)) return merged;
    const anonymousId = record.from.slice(ANONYMOUS_PREFIX.length);
    return { ...merged, profile: withAnonymousId(merged.profile ?? emptyProfile(), anonymousId) };
  }
  if (record.kind === 'timer') {
    const cause = {
      tenantId: record.tenantId,
      customerId: record.customerId,
      messageId: record.timerId,
      eventName: 'timer',
      at: record.receivedAt,
    };
    return applyTimerToJourneys(state, journeys, record, cause, effects);
  }
  return applyCall(state, record, journeys, effects);
}

/** A call: the profile side first, then counters and journeys, then the customer's totals. */
function applyCall(
  before: CustomerState,
  record: CallRecord,
  journeys: PublishedJourneys,
  effects: JourneyEffects,
): CustomerState {
  const { call } = record;
  let state = applyCallToProfile(before, call);
  const eventName = eventNameOf(call) ?? call.type;
  const cause = {
    tenantId: record.tenantId,
    customerId: record.customerId,
    messageId: call.messageId,
    eventName,
    at: record.receivedAt,
  };
  // Conditions read the call as sent, with the event name journeys see (page → "Page Viewed").
  const view: Record<string, unknown> = { ...call, event: eventName };
  const occurredAt = Date.parse(call.timestamp);
  state = recordBehaviour(
    state,
    journeys,
    view,
    eventName,
    call.messageId,
    occurredAt,
    Date.parse(record.receivedAt),
  );
  state = applyEventToJourneys(state, journeys, view, cause, effects);
  if (call.type === 'identify') state = applyProfileChangeToJourneys(before, state, journeys, cause, effects);
  return {
    ...state,
    eventCount: state.eventCount + 1,
    lastSeenAt: laterOf(state.lastSeenAt, call.timestamp),
    firstSeenAt: earlierOf(state.firstSeenAt, call.timestamp),
  };
}
