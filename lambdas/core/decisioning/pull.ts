import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../schemas/common.js';
import type { Decision } from '../../../schemas/decision.js';
import type { NoDecisionReason, PullChannel } from '../../../schemas/decision-api.js';
import type { CapsHistory } from '../../../schemas/decisioning.js';
import { type Candidate, type DecisionContext, decide } from './decide.js';
import type { Factors } from './factors.js';
import type { CatalogAction, DecisionPolicy } from './policy.js';

/**
 * The pull side of next best action (`GET /v1/decide`): a page or an app asks what to show in
 * one placement now. The catalog actions listing that placement and channel compete through the
 * same `decide` as journey actions (consent, eligibility, caps, arbitration), on the one channel
 * the caller is on; the winner's impression is a send in the customer's caps history.
 */

/** One pull request, as the decision API received it. */
export interface PullRequest {
  tenantId: string;
  customerId: string;
  placement: string;
  channel: PullChannel;
  /** The caller's id for the request (or one the API drew): the same id, the same decision. */
  requestId: string;
}

export interface PullOutcome {
  /** The offer to show, with its rendered content; undefined when there is none. */
  shown: { decision: Decision & { factors: Factors }; content: JsonObject } | undefined;
  /** Why there is none (the best-scoring candidate's reason, or `none_for_placement`). */
  reason: NoDecisionReason | undefined;
  explanation: string;
  /** One per candidate, taken or suppressed. */
  decisions: Decision[];
  /** The history with the impression added. */
  history: CapsHistory;
  /** Whether `history` gained the impression and must be written (false for a replayed request). */
  counted: boolean;
}

/** The catalog actions offered at `placement` on `channel`, by action id. */
export function placementOffers(
  policy: DecisionPolicy,
  placement: string,
  channel: PullChannel,
): CatalogAction[] {
  return [...policy.catalog.values()]
    .filter((action) => action.placements.includes(placement) && (action.channels ?? []).includes(channel))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A candidate's decision id: the same request (and action) always gives the same id. */
export function pullDecisionId(request: PullRequest, action: string): string {
  return createHash('sha256')
    .update(
      [
        request.tenantId,
        request.customerId,
        request.placement,
        request.channel,
        request.requestId,
        action,
      ].join('\u0000'),
    )
    .digest('hex')
    .slice(0, 32);
}

/** The customer is on the channel they ask from, now: it counts as live whatever the stream said. */
function presentOn(
  state: DecisionContext['state'],
  channel: PullChannel,
  now: number,
): DecisionContext['state'] {
  const at = new Date(now).toISOString();
  if (channel === 'store')
    return { ...state, lastStoreVisit: { storeId: state.lastStoreVisit?.storeId ?? 'unknown', at } };
  return { ...state, channels: { ...state.channels, [channel]: { lastSeenAt: at } } };
}

/**
 * The moment to decide at. A retried request (one of its candidates' impressions is already in
 * the history) is decided again at its first moment, which gives the same decision under the
 * same key and adds nothing. Otherwise `now`, but never before the newest send the history
 * holds: another server's clock may run a few milliseconds ahead, and its send must still count.
 */
function momentOf(history: CapsHistory, ids: ReadonlySet<string>, now: number): number {
  let newest = now;
  for (const entry of history.entries) {
    if (entry.kind !== 'sent') continue;
    const at = Date.parse(entry.at);
    if (ids.has(entry.id)) return at;
    if (at > newest) newest = at;
  }
  return newest;
}

/**
 * Decides what one placement shows now. Pure: the state (undefined for a customer never seen:
 * consent defaults apply), the policy and the caps history are inputs; `now` is epoch ms.
 *
 * @example
 * const outcome = decideForPlacement(request, await loadCustomerState(t, c), policy, history, Date.now());
 * if (outcome.counted) await saveImpression(outcome.history, outcome.shown.decision);
 */
export function decideForPlacement(
  request: PullRequest,
  state: DecisionContext['state'] | undefined,
  policy: DecisionPolicy,
  history: CapsHistory,
  now: number,
): PullOutcome {
  const offers = placementOffers(policy, request.placement, request.channel);
  if (offers.length === 0)
    return {
      shown: undefined,
      reason: 'none_for_placement',
      explanation: `Nothing is offered at "${request.placement}" on ${request.channel}.`,
      decisions: [],
      history,
      counted: false,
    };
  const candidates: Candidate[] = offers.map((offer) => ({
    decisionId: pullDecisionId(request, offer.id),
    action: offer.id,
    source: { kind: 'placement', placement: request.placement },
    payload: {},
  }));
  const ids = new Set(candidates.map((candidate) => candidate.decisionId));
  const at = momentOf(history, ids, now);
  // Only the channel asked from, and one offer per placement.
  const pullPolicy: DecisionPolicy = {
    ...policy,
    catalog: new Map(offers.map((offer) => [offer.id, { ...offer, channels: [request.channel] }])),
    actionsPerChannelPerCause: 1,
  };
  const context: DecisionContext = {
    tenantId: request.tenantId,
    customerId: request.customerId,
    state: presentOn(state ?? {}, request.channel, at),
  };
  const result = decide(candidates, context, pullPolicy, history, at);
  const [taken] = result.taken;
  if (taken === undefined) return nothingShown(request, result.decisions, history);
  const { factors } = taken.decision;
  if (factors === undefined) throw new Error('decide gives every decision its factors');
  const decision = {
    ...taken.decision,
    factors,
    explanation:
      `"${taken.candidate.action}" ranked first of ${candidates.length} for "${request.placement}"` +
      ` (score ${factors.score}) and was shown on ${request.channel}.`,
  };
  const decisions = result.decisions.map((one) => (one.decisionId === decision.decisionId ? decision : one));
  const counted = !history.entries.some((entry) => entry.kind === 'sent' && entry.id === decision.decisionId);
  return {
    shown: { decision, content: taken.payload },
    reason: undefined,
    explanation: decision.explanation,
    decisions,
    history: result.history,
    counted,
  };
}

/** No offer: the reason of the candidate that scored highest (the first by action id on a tie). */
function nothingShown(request: PullRequest, decisions: Decision[], history: CapsHistory): PullOutcome {
  let best: Decision | undefined;
  for (const decision of decisions)
    if (best === undefined || (decision.factors?.score ?? 0) > (best.factors?.score ?? 0)) best = decision;
  return {
    shown: undefined,
    reason: best?.reason ?? 'not_eligible',
    explanation: `Nothing to show at "${request.placement}": ${best?.explanation ?? 'no offer is eligible.'}`,
    decisions,
    history,
    counted: false,
  };
}
