import { type CustomerState, MERGED_FROM_KEPT, type MergedHistory } from '../../schemas/customer-state.js';
import type { LinkRecord, MergeRecord } from '../../schemas/stream-record.js';
import { mergeLedgers } from './consent/apply-consent-change.js';
import { parseIso } from './iso-time.js';
import { mergeProfiles } from './profile.js';

/**
 * Identity stitching, as pure functions. When an anonymous visitor logs in (identify with both
 * ids) or an alias joins two ids, the old id's processor hands its history to the known
 * customer through the stream, so each customer keeps a single writer:
 *
 *   link record → old id: marks itself `mergedInto`, emits a merge record for the known customer
 *   merge record → known customer: adds the history (profile, counters, journey progress,
 *                  consents: newer-wins per purpose and channel)
 *   any later record for the old id → forwarded to the known customer, same message id
 */

export function historyOf(state: CustomerState): MergedHistory {
  return {
    eventCount: state.eventCount,
    firstSeenAt: state.firstSeenAt,
    lastSeenAt: state.lastSeenAt,
    journeys: state.journeys,
    ...(state.profile === undefined ? {} : { profile: state.profile }),
    ...(state.channels === undefined ? {} : { channels: state.channels }),
    ...(state.lastStoreVisit === undefined ? {} : { lastStoreVisit: state.lastStoreVisit }),
    ...(state.consent === undefined ? {} : { consent: state.consent }),
  };
}

/**
 * The old id's side of a link. Returns the state it keeps (a forwarding address, its counters
 * handed over) and the merge record to send, or nothing when it was already joined: the first
 * link wins, a repeated one changes nothing.
 */
export function linkToKnownCustomer(
  state: CustomerState,
  link: LinkRecord,
): { state: CustomerState; merge: MergeRecord | undefined } {
  // A link back to an id that was merged into this one would make the two forward to each other.
  const wouldCycle = state.mergedFrom?.includes(link.linkTo) ?? false;
  if (state.mergedInto !== undefined || link.linkTo === state.customerId || wouldCycle) {
    return { state, merge: undefined };
  }
  const merge: MergeRecord = {
    kind: 'merge',
    tenantId: state.tenantId,
    customerId: link.linkTo,
    receivedAt: link.receivedAt,
    mergeId: `${link.linkId}:merge`,
    from: state.customerId,
    history: historyOf(state),
  };
  const { profile: _handedOver, channels: _alsoHandedOver, lastStoreVisit: _andThis, ...kept } = state;
  return { state: { ...kept, journeys: {}, eventCount: 0, mergedInto: link.linkTo }, merge };
}

const earlier = (a: string, b: string) => (parseIso(a) <= parseIso(b) ? a : b);
const later = (a: string, b: string) => (parseIso(a) >= parseIso(b) ? a : b);

/** The known customer's side: the joined id's history is added to its own. */
export function mergeHistory(state: CustomerState, history: MergedHistory, from: string): CustomerState {
  const mergedFrom = [...(state.mergedFrom ?? []).filter((id) => id !== from), from].slice(-MERGED_FROM_KEPT);
  const journeys = { ...state.journeys };
  for (const [journeyId, progress] of Object.entries(history.journeys)) {
    const own = journeys[journeyId];
    journeys[journeyId] =
      own === undefined
        ? progress
        : {
            entries: own.entries + progress.entries,
            lastEnteredAt: later(own.lastEnteredAt, progress.lastEnteredAt),
          };
  }
  const channels = { ...state.channels };
  for (const [channel, seen] of Object.entries(history.channels ?? {}) as [
    keyof typeof channels,
    { lastSeenAt: string },
  ][]) {
    const own = channels[channel];
    channels[channel] = own === undefined ? seen : { lastSeenAt: later(own.lastSeenAt, seen.lastSeenAt) };
  }
  const profile = mergeProfiles(state.profile, history.profile);
  const visits = [state.lastStoreVisit, history.lastStoreVisit].filter((visit) => visit !== undefined);
  const lastStoreVisit = visits.sort((a, b) => parseIso(b.at) - parseIso(a.at))[0];
  // What the visitor agreed to or refused before logging in still holds (GDPR art. 7, 21).
  const consent = mergeLedgers(state.consent, history.consent);
  return {
    ...state,
    eventCount: state.eventCount + history.eventCount,
    // A joined id that never sent anything has no times worth keeping (they are its link's).
    firstSeenAt:
      history.eventCount === 0 ? state.firstSeenAt : earlier(state.firstSeenAt, history.firstSeenAt),
    lastSeenAt: history.eventCount === 0 ? state.lastSeenAt : later(state.lastSeenAt, history.lastSeenAt),
    mergedFrom,
    journeys,
    ...(profile === undefined ? {} : { profile }),
    ...(Object.keys(channels).length === 0 ? {} : { channels }),
    ...(lastStoreVisit === undefined ? {} : { lastStoreVisit }),
    ...(consent === undefined ? {} : { consent }),
  };
}
