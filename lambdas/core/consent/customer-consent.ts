import type { ConsentChange, ConsentHistoryEntry } from '../../../schemas/consent.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import type { CallRecord, ConsentRecord } from '../../../schemas/stream-record.js';
import { parseIso } from '../iso-time.js';
import type { JourneyEffects, PublishedJourneys } from '../journey-runtime.js';
import type { StateDraft } from '../state-draft.js';
import { applyConsentChange, historyEntryOf } from './apply-consent-change.js';
import { mayKeepEvent } from './arrival-gate.js';
import { consentChangeOfCall } from './segment-consent.js';
import { changeWithdraws, exitInstancesOnWithdrawal } from './withdrawal.js';

/** What consent changes ask the adapters to do besides writing the state. */
export interface ConsentEffects {
  /** History items to append (`CONSENT#<at>#<changeId>`), one per change applied. */
  history: ConsentHistoryEntry[];
  /** Something was withdrawn: undelivered actions the ledger now refuses are to be cancelled. */
  withdrawn: boolean;
}

export const noConsentEffects = (): ConsentEffects => ({ history: [], withdrawn: false });

/** The effects of applying records: the journeys' and the consent's. */
export type CustomerEffects = JourneyEffects & { consent: ConsentEffects };

/**
 * Applies one consent change to a customer: the ledger (newer-wins), a history item, and the
 * exit of live journeys whose consent was withdrawn (their timers cancelled).
 */
export function applyConsentToCustomer(
  state: CustomerState,
  change: ConsentChange,
  changeId: string,
  receivedAt: string,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
): CustomerState {
  const before = state.consent;
  const changed: CustomerState = { ...state, consent: applyConsentChange(before, change) };
  effects.consent.history.push(historyEntryOf(change, changeId, receivedAt));
  const after = exitInstancesOnWithdrawal(changed, before, journeys, journeys.consent, effects, receivedAt);
  // A change that refuses what was allowed (a purpose, a channel, by GPC) may concern a pending
  // action: let the processor look at the customer's undelivered actions. A refusal that was
  // already in force changes nothing, so it costs no read.
  const judgedAt = Math.max(parseIso(change.at), parseIso(receivedAt));
  if (changeWithdraws(before, changed.consent, change, journeys.consent, judgedAt))
    effects.consent.withdrawn = true;
  return after;
}

/** A `consent` record from the consent API. */
export function applyConsentRecord(
  state: CustomerState,
  record: ConsentRecord,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
): CustomerState {
  return applyConsentToCustomer(state, record.change, record.changeId, record.receivedAt, journeys, effects);
}

/**
 * The arrival gate of a tracking call: first the consent the call itself carries (Segment's
 * `context.consent.categoryPreferences`, a GPC signal), so that an event carrying a fresh grant
 * is kept; then, without consent to analytics or personalization at `judgedAt` (the later of the
 * call's time and its arrival), the call is dropped: only the consent change and a count of
 * dropped calls remain. Whether the call is kept; `draft` gets the consent change or the count.
 */
export function gateCall(
  draft: StateDraft,
  record: CallRecord,
  journeys: PublishedJourneys,
  effects: CustomerEffects,
  judgedAt: number,
): boolean {
  const { call } = record;
  const change = consentChangeOfCall(call, journeys.consent.purposes);
  if (change !== undefined) {
    draft.replace(
      applyConsentToCustomer(
        draft.state,
        change,
        `${call.messageId}:consent`,
        record.receivedAt,
        journeys,
        effects,
      ),
    );
  }
  if (mayKeepEvent(draft.state.consent, journeys.consent.defaults, judgedAt)) return true;
  draft.state.droppedWithoutConsent = (draft.state.droppedWithoutConsent ?? 0) + 1;
  return false;
}
