import type { ActionWebhookBody } from '../../schemas/action.js';
import { type CustomerState, RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';
import type { Journey } from '../../schemas/journey.js';
import { ANONYMOUS_PREFIX, eventNameOf } from '../../schemas/segment-call.js';
import type { CallRecord, StreamRecord } from '../../schemas/stream-record.js';
import { compileConditions, type EventPredicate } from './conditions.js';
import { linkToKnownCustomer, mergeHistory } from './identity.js';
import { actionIdFor } from './ids.js';
import { applyCallToProfile, emptyProfile, withAnonymousId } from './profile.js';

/** A journey ready to run: its trigger compiled once, not interpreted per event. */
export interface CompiledJourney {
  journey: Journey;
  matches: EventPredicate;
}

/** A tenant's published journeys, indexed by trigger event so an event only meets the journeys it can start. */
export interface PublishedJourneys {
  byTriggerEvent: ReadonlyMap<string, readonly CompiledJourney[]>;
}

/** Compiles a tenant's journeys; paused ones are left out. */
export function compileJourneys(journeys: readonly Journey[]): PublishedJourneys {
  const byTriggerEvent = new Map<string, CompiledJourney[]>();
  for (const journey of journeys) {
    if (journey.status !== 'published') continue;
    const compiled = { journey, matches: compileConditions(journey.trigger.conditions) };
    const list = byTriggerEvent.get(journey.trigger.event) ?? [];
    list.push(compiled);
    byTriggerEvent.set(journey.trigger.event, list);
  }
  return { byTriggerEvent };
}

/** One record from the stream, with the position that orders it. */
export interface SequencedRecord {
  sequenceNumber: string;
  record: StreamRecord;
}

/** An action to record and deliver: everything but its delivery bookkeeping. */
export type ActionIntent = ActionWebhookBody;

export interface CustomerOutcome {
  /** The state to write back, or the previous one untouched when nothing was applied. */
  state: CustomerState;
  actions: ActionIntent[];
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
  }
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
    return this.members.has(id);
  }

  add(id: string): void {
    this.ids.push(id);
    this.members.add(id);
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
  if (first === undefined) {
    if (previous === undefined) throw new Error('applyRecordsToCustomer needs a state or a record');
    return { state: previous, actions: [], forwards: [], applied: 0, duplicates: 0 };
  }
  let state = previous ?? emptyState(first.record);
  const recent = new RecentMessageIds(state.recentMessageIds);
  const actions: ActionIntent[] = [];
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
    state = applyOne(state, record, journeys, actions, forwards);
    state = {
      ...state,
      appliedSequence: laterSequence(state.appliedSequence, sequenceNumber),
      recentMessageIds: recent.toArray(),
    };
    applied += 1;
  }
  return { state, actions, forwards, applied, duplicates };
}

function applyOne(
  state: CustomerState,
  record: StreamRecord,
  journeys: PublishedJourneys,
  actions: ActionIntent[],
  forwards: StreamRecord[],
): CustomerState {
  if (record.kind === 'link') {
    const linked = linkToKnownCustomer(state, record);
    if (linked.merge !== undefined) forwards.push(linked.merge);
    return linked.state;
  }
  if (state.mergedInto !== undefined) {
    // This id belongs to a known customer now: whatever arrives for it goes there, same ids.
    forwards.push({ ...record, customerId: state.mergedInto });
    return state;
  }
  if (record.kind === 'merge') {
    const merged = mergeHistory(state, record.history);
    if (!record.from.startsWith(ANONYMOUS_PREFIX)) return merged;
    const anonymousId = record.from.slice(ANONYMOUS_PREFIX.length);
    return { ...merged, profile: withAnonymousId(merged.profile ?? emptyProfile(), anonymousId) };
  }
  return applyCall(applyCallToProfile(state, record.call), record, journeys, actions);
}

/** A call's journeys side: the journeys its event name triggers, and the customer's counters. */
function applyCall(
  state: CustomerState,
  record: CallRecord,
  journeys: PublishedJourneys,
  actions: ActionIntent[],
): CustomerState {
  const { call } = record;
  const eventName = eventNameOf(call);
  const journeyProgress = { ...state.journeys };
  if (eventName !== undefined) {
    // Conditions read the call as sent, with the event name journeys see (page → "Page Viewed").
    const view = { ...call, event: eventName };
    for (const { journey, matches } of journeys.byTriggerEvent.get(eventName) ?? []) {
      if (journey.reentry === 'never' && journeyProgress[journey.id] !== undefined) continue;
      if (!matches(view)) continue;
      actions.push({
        actionId: actionIdFor(record.tenantId, record.customerId, journey.id, call.messageId),
        tenantId: record.tenantId,
        customerId: record.customerId,
        journeyId: journey.id,
        journeyVersion: journey.version,
        action: journey.action.id,
        channel: journey.action.channel,
        payload: journey.action.payload,
        firedAt: record.receivedAt,
        triggeredBy: { messageId: call.messageId, event: eventName },
      });
      const entries = (journeyProgress[journey.id]?.entries ?? 0) + 1;
      journeyProgress[journey.id] = { entries, lastEnteredAt: record.receivedAt };
    }
  }
  return {
    ...state,
    eventCount: state.eventCount + 1,
    lastSeenAt: laterOf(state.lastSeenAt, call.timestamp),
    firstSeenAt: earlierOf(state.firstSeenAt, call.timestamp),
    journeys: journeyProgress,
  };
}
