import type { ActionWebhookBody } from '../../schemas/action.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { ANONYMOUS_PREFIX, eventNameOf } from '../../schemas/segment-call.js';
import type { CallRecord, MergeRecord, StreamRecord } from '../../schemas/stream-record.js';
import {
  applyConsentRecord,
  type ConsentEffects,
  type CustomerEffects,
  gateCall,
  noConsentEffects,
} from './consent/customer-consent.js';
import { exitInstancesOnWithdrawal, ledgerWithdraws } from './consent/withdrawal.js';
import { linkToKnownCustomer, mergeHistory } from './identity.js';
import { parseIso } from './iso-time.js';
import {
  applyEventToJourneys,
  applyProfileChangeToJourneys,
  applyTimerToJourneys,
  type JourneyEffects,
  noEffects,
  type PublishedJourneys,
  recordBehaviour,
} from './journey-runtime.js';
import { applyCallToProfileIn, emptyProfile, withAnonymousId } from './profile.js';
import { messageIdKey, RecentMessageIds } from './recent-message-ids.js';
import { StateDraft } from './state-draft.js';

export { type CompiledJourney, compileJourneys, type PublishedJourneys } from './journey-runtime.js';
export { messageIdKey } from './recent-message-ids.js';

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
  /** Consent history to append, and whether undelivered actions must be checked for a withdrawal. */
  consent: ConsentEffects;
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
    case 'consent':
      return record.changeId;
    case 'erase':
      return record.erasureId;
  }
}

/**
 * How redeliveries are recognised. Normally by both the applied sequence number and the recent
 * message ids. After a write conflict with an overlapping writer, the stored watermark may be
 * ahead of records that were never applied (the other writer had later ones): then only the
 * message ids, which name exactly what was applied, are trusted.
 */
export type DedupeMode = 'sequence-and-message-id' | 'message-id-only';

/**
 * Whether sequence number `a` is above `b`. Kinesis sequence numbers are decimal strings of
 * the same length within a stream's life, and same-length digit strings compare as their
 * numbers do; other lengths go through BigInt. Per record, so no BigInt in the common case.
 */
function sequenceAbove(a: string, b: string): boolean {
  return a.length === b.length ? a > b : BigInt(a) > BigInt(b);
}

// Built field by field: an object spread inside a literal is a slow generic copy, once per call.
const noCustomerEffects = (): CustomerEffects => {
  const { actions, timers, metrics, explanations } = noEffects();
  return { actions, timers, metrics, explanations, consent: noConsentEffects() };
};

const outcomeOf = (
  state: CustomerState,
  effects: CustomerEffects,
  forwards: StreamRecord[],
  applied: number,
  duplicates: number,
): CustomerOutcome => ({
  state,
  actions: effects.actions,
  timers: effects.timers,
  metrics: effects.metrics,
  explanations: effects.explanations,
  consent: effects.consent,
  forwards,
  applied,
  duplicates,
});

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
  const effects = noCustomerEffects();
  if (first === undefined) {
    if (previous === undefined) throw new Error('applyRecordsToCustomer needs a state or a record');
    return outcomeOf(previous, effects, [], 0, 0);
  }
  const stored = previous ?? emptyState(first.record);
  const recent = new RecentMessageIds(stored.recentMessageIds);
  // The engine's working copy, made when the first record applies: `stored` is the caller's.
  let draft: StateDraft | undefined;
  // The watermark and the id window are written to the state once, after the loop: nothing in
  // between reads them from the state.
  let watermark = stored.appliedSequence;
  const forwards: StreamRecord[] = [];
  let applied = 0;
  let duplicates = 0;

  for (const { sequenceNumber, record } of records) {
    const above = watermark === undefined || sequenceAbove(sequenceNumber, watermark);
    if (!above && dedupe === 'sequence-and-message-id') {
      duplicates += 1;
      continue;
    }
    const messageId = messageIdOf(record);
    const key = messageIdKey(messageId);
    if (recent.has(key, messageId)) {
      duplicates += 1;
      continue;
    }
    recent.add(key);
    draft ??= new StateDraft(stored);
    applyOne(draft, record, journeys, effects, forwards);
    if (above) watermark = sequenceNumber;
    applied += 1;
  }
  if (draft === undefined) return outcomeOf(stored, effects, forwards, applied, duplicates);
  if (watermark !== undefined) draft.state.appliedSequence = watermark;
  draft.state.recentMessageIds = recent.toArray();
  return outcomeOf(draft.result(), effects, forwards, applied, duplicates);
}

function applyOne(
  draft: StateDraft,
  record: StreamRecord,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
  forwards: StreamRecord[],
): void {
  const { state } = draft;
  if (record.kind === 'link') {
    const linked = linkToKnownCustomer(state, record);
    if (linked.merge === undefined) return;
    forwards.push(linked.merge);
    // The joined id's own journeys end here; their progress went with the history.
    for (const instance of Object.values(state.instances ?? {})) {
      if (instance.waiting !== undefined) effects.timers.cancel.push(instance.waiting.timerId);
    }
    const { instances: _ended, ...withoutInstances } = linked.state;
    draft.replace(withoutInstances);
    return;
  }
  // The processor applies erasures itself (lambdas/processor/erase-customer.ts): it is I/O.
  if (record.kind === 'erase') return;
  if (state.mergedInto !== undefined) {
    // This id belongs to a known customer now: whatever arrives for it goes there, same ids.
    forwards.push({ ...record, customerId: state.mergedInto });
    return;
  }
  if (record.kind === 'merge') {
    const merged = withdrawnByMerge(
      state,
      mergeHistory(state, record.history, record.from),
      record,
      journeys,
      effects,
    );
    if (!record.from.startsWith(ANONYMOUS_PREFIX)) {
      draft.replace(merged);
      return;
    }
    const anonymousId = record.from.slice(ANONYMOUS_PREFIX.length);
    draft.replace({ ...merged, profile: withAnonymousId(merged.profile ?? emptyProfile(), anonymousId) });
    return;
  }
  if (record.kind === 'timer') {
    const cause = {
      tenantId: record.tenantId,
      customerId: record.customerId,
      messageId: record.timerId,
      eventName: 'timer',
      at: record.receivedAt,
    };
    applyTimerToJourneys(draft, journeys, record, cause, effects);
    return;
  }
  if (record.kind === 'consent') {
    draft.replace(applyConsentRecord(state, record, journeys, effects));
    return;
  }
  applyCall(draft, record, journeys, effects);
}

/**
 * The joined id's consents join the customer's, newer-wins: a refusal newer than the customer's
 * grant withdraws it, with the same effects as a consent record's (journeys that need it exit at
 * once, undelivered actions are checked after the write).
 */
function withdrawnByMerge(
  before: CustomerState,
  merged: CustomerState,
  record: MergeRecord,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
): CustomerState {
  const at = Date.parse(record.receivedAt);
  if (!ledgerWithdraws(before.consent, merged.consent, journeys.consent, at)) return merged;
  effects.consent.withdrawn = true;
  return exitInstancesOnWithdrawal(
    merged,
    before.consent,
    journeys,
    journeys.consent,
    effects,
    record.receivedAt,
  );
}

/** A call: the profile side first, then counters and journeys, then the customer's totals. */
function applyCall(
  draft: StateDraft,
  record: CallRecord,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
): void {
  const { call } = record;
  const occurredAt = parseIso(call.timestamp);
  // Often the same instant, written the same (server-side calls, imports): parsed once then.
  const now = record.receivedAt === call.timestamp ? occurredAt : parseIso(record.receivedAt);
  // Consent first: the call's own consent change, then the arrival gate (issue 5).
  if (!gateCall(draft, record, journeys, effects, Math.max(occurredAt, now))) return;
  // What a profile condition was before this call: only identify calls change the profile.
  const before = call.type === 'identify' ? draft.snapshot() : undefined;
  applyCallToProfileIn(draft.state, call, occurredAt);
  const eventName = eventNameOf(call) ?? call.type;
  const cause = {
    tenantId: record.tenantId,
    customerId: record.customerId,
    messageId: call.messageId,
    eventName,
    at: record.receivedAt,
  };
  // Conditions read the call as sent, with the event name journeys see (page → "Page Viewed"):
  // a track call is that already, and is read as it is (nothing changes the view).
  const view: Record<string, unknown> =
    call.type === 'track' && call.event === eventName
      ? (call as unknown as Record<string, unknown>)
      : { ...call, event: eventName };
  recordBehaviour(draft, journeys, view, eventName, call.messageId, occurredAt, now);
  applyEventToJourneys(draft, journeys, view, cause, effects, now);
  if (before !== undefined) applyProfileChangeToJourneys(before, draft, journeys, cause, effects, now);
  const { state } = draft;
  state.eventCount += 1;
  // The later and the earlier of the two times, the stored one on a tie.
  if (!(parseIso(state.lastSeenAt) >= occurredAt)) state.lastSeenAt = call.timestamp;
  if (!(parseIso(state.firstSeenAt) <= occurredAt)) state.firstSeenAt = call.timestamp;
}
