import type { JsonObject } from '../../../schemas/common.js';
import { type ConsentBasis, consentChannelOf } from '../../../schemas/consent.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import type { Decision, SuppressionReason } from '../../../schemas/decision.js';
import type { CapsHistory, HistoryEntry } from '../../../schemas/decisioning.js';
import { durationSeconds } from '../../../schemas/duration.js';
import type { ActionChannel } from '../../../schemas/journey.js';
import type { EvaluationContext } from '../conditions.js';
import { consentAllows } from '../consent/consent-allows.js';
import { countWithin } from '../counters.js';
import { outsideQuietHours, resolveTimeZone } from '../local-time.js';
import { sendsOf, withEntries } from './caps-history.js';
import { isOutbound, rankChannels } from './channel-choice.js';
import { type Candidate, compareRanked, type Factors, factorsOf } from './factors.js';
import { type CapHit, capThatStops } from './frequency-caps.js';
import type { CatalogAction, DecisionPolicy } from './policy.js';
import { renderContent } from './template.js';

export type { Candidate } from './factors.js';

/** Who is being decided for, and what we know of them now. */
export interface DecisionContext {
  tenantId: string;
  customerId: string;
  state: Pick<CustomerState, 'profile' | 'channels' | 'lastStoreVisit' | 'consent' | 'counters'>;
}

/** A candidate that won: where to send it and what to send. */
export interface TakenAction {
  candidate: Candidate;
  channel: ActionChannel;
  /** The catalog content merged with the step's payload, rendered for this customer. */
  payload: JsonObject;
  purpose: string;
  decision: Decision;
  /** Decided inside quiet hours with `defer`: when it may be sent (epoch ms). */
  deliverAt?: number;
}

export interface DecideResult {
  /** Winners, best first. */
  taken: TakenAction[];
  /** One per candidate, taken or suppressed, in the candidates' order. */
  decisions: Decision[];
  /** The history with this moment's sends added (same version: the writer bumps it). */
  history: CapsHistory;
}

type Ranked = {
  index: number;
  candidate: Candidate;
  catalog: CatalogAction | undefined;
  factors: Factors & { rawPriority: number };
};
type Stop = { reason: SuppressionReason; explanation: string; consent?: ConsentBasis; cap?: CapHit };
type ChannelOption = { channel: ActionChannel; consent?: ConsentBasis; deliverAt?: number };

const traitsOf = (state: DecisionContext['state']) =>
  Object.fromEntries(Object.entries(state.profile?.traits ?? {}).map(([name, trait]) => [name, trait.value]));

/** What holds for every candidate of a moment, worked out once. */
interface Moment {
  now: number;
  /** Inside quiet hours in the customer's time zone. */
  quiet: boolean;
  /** When the quiet hours end (epoch ms), while inside them. */
  quietUntil: number | undefined;
  /** The latest dismissal or conversion (≤ now) per `<kind>\u0000<action>`. */
  last: Map<string, number>;
}

function momentOf(
  context: DecisionContext,
  policy: DecisionPolicy,
  history: CapsHistory,
  now: number,
): Moment {
  const timeZone = resolveTimeZone(context.state.profile?.traits.timezone?.value);
  const quietUntil =
    policy.quietHours === undefined ? now : outsideQuietHours(now, policy.quietHours, timeZone);
  const quiet = quietUntil !== now;
  const last = new Map<string, number>();
  for (const entry of history.entries) {
    if (entry.kind !== 'dismissed' && entry.kind !== 'converted') continue;
    const at = Date.parse(entry.at);
    const key = `${entry.kind}\u0000${entry.action}`;
    if (at <= now && at > (last.get(key) ?? Number.NEGATIVE_INFINITY)) last.set(key, at);
  }
  return { now, quiet, quietUntil: quiet ? quietUntil : undefined, last };
}

/** Rules a candidate must pass whatever the others do; the first that fails stops it. */
function eligibilityStop(ranked: Ranked, evaluation: EvaluationContext, moment: Moment): Stop | undefined {
  const { now } = moment;
  const { catalog, candidate } = ranked;
  if (catalog === undefined) return undefined;
  if (
    (catalog.validFrom !== undefined && now < catalog.validFrom) ||
    (catalog.validUntil !== undefined && now >= catalog.validUntil)
  )
    return { reason: 'outside_validity', explanation: `"${candidate.action}" is not offered at this date.` };
  if (catalog.eligible !== undefined && !catalog.eligible(evaluation))
    return {
      reason: 'not_eligible',
      explanation: `You do not meet the conditions of "${candidate.action}".`,
    };
  const converted = moment.last.get(`converted\u0000${candidate.action}`);
  if (
    catalog.conversion !== undefined &&
    converted !== undefined &&
    now - converted < durationSeconds(catalog.conversion.suppressFor) * 1_000
  )
    return { reason: 'converted', explanation: `You already did what "${candidate.action}" suggests.` };
  const dismissed = moment.last.get(`dismissed\u0000${candidate.action}`);
  if (
    catalog.cooldownAfterDismissal !== undefined &&
    dismissed !== undefined &&
    now - dismissed < durationSeconds(catalog.cooldownAfterDismissal) * 1_000
  )
    return {
      reason: 'cooldown_after_dismissal',
      explanation: `You dismissed "${candidate.action}" recently.`,
    };
  return undefined;
}

/**
 * The channels a candidate may use now, best first (see rankChannels), without those consent or
 * quiet hours refuse; or why none is left. An action not in the catalog keeps the journey's
 * channel, live or not, and is checked for the purpose its journey step names (marketing by
 * default); quiet hours apply to every outbound channel.
 */
function channelOptions(
  ranked: Ranked,
  context: DecisionContext,
  policy: DecisionPolicy,
  moment: Moment,
): ChannelOption[] | Stop {
  const { now, quiet, quietUntil } = moment;
  const { catalog, candidate } = ranked;
  const channels =
    catalog === undefined
      ? [candidate.channel ?? 'webhook']
      : rankChannels(catalog.channels ?? [], context.state, policy.presence, now);
  if (channels.length === 0)
    return {
      reason: 'no_live_channel',
      explanation: `None of the channels of "${candidate.action}" is where you are now.`,
    };
  const options: ChannelOption[] = [];
  let firstStop: Stop | undefined;
  for (const channel of channels) {
    const purpose = catalog?.purpose ?? candidate.purpose ?? 'marketing';
    const consent = consentAllows(
      context.state.consent,
      policy.consentDefaults,
      { purpose, channel: consentChannelOf(channel) },
      now,
    );
    if (!consent.allowed) {
      firstStop ??= {
        reason: 'no_consent',
        explanation: `You have not agreed to ${purpose} messages on ${channel}.`,
        consent,
      };
      continue;
    }
    if (quiet && isOutbound(channel)) {
      if (policy.quietHours?.mode === 'defer') {
        options.push({ channel, consent, deliverAt: quietUntil });
        continue;
      }
      firstStop ??= {
        reason: 'quiet_hours',
        explanation: `It is within quiet hours (${policy.quietHours?.start}–${policy.quietHours?.end}) where you are.`,
      };
      continue;
    }
    options.push({ channel, consent });
  }
  // A channel that reaches the customer now comes before one that must wait for the morning.
  options.sort((a, b) => Number(a.deliverAt !== undefined) - Number(b.deliverAt !== undefined));
  return options.length > 0 ? options : (firstStop as Stop);
}

function renderPayload(ranked: Ranked, context: DecisionContext): JsonObject {
  const { catalog, candidate } = ranked;
  if (catalog === undefined) return candidate.payload;
  const event = candidate.event ?? {};
  const scope = {
    traits: traitsOf(context.state),
    properties: event.properties,
    context: event.context,
    event: event.event,
  };
  return renderContent({ ...catalog.content, ...candidate.payload }, scope);
}

/**
 * Next best action at one moment: ranks every candidate by priority × propensity × value ×
 * context weight, sends the best ones the rules allow (at most `actionsPerChannelPerCause` per
 * channel), and explains every candidate, taken or suppressed. Pure: `now` (epoch ms) is the
 * moment's time, `history` the customer's caps item; nothing is read or written.
 *
 * @example
 * const { taken, decisions, history: next } = decide(candidates, { tenantId, customerId, state }, policy, history, Date.parse(event.timestamp));
 */
export function decide(
  candidates: readonly Candidate[],
  context: DecisionContext,
  policy: DecisionPolicy,
  history: CapsHistory,
  now: number,
): DecideResult {
  const traits = traitsOf(context.state);
  const decidedAt = new Date(now).toISOString();
  const count = (counterId: string, withinSeconds: number) => {
    const spec = policy.counters.get(counterId);
    return spec === undefined
      ? 0
      : countWithin(context.state.counters?.[counterId], spec.bucketSeconds, withinSeconds, now);
  };
  const ids = new Set(candidates.map((candidate) => candidate.decisionId));
  // A candidate replayed after its send was stored is not counted against itself.
  const working: CapsHistory = {
    ...history,
    entries: history.entries.filter((entry) => !(entry.kind === 'sent' && ids.has(entry.id))),
  };
  const moment = momentOf(context, policy, working, now);
  const decisions: Decision[] = new Array(candidates.length);
  const base = (candidate: Candidate): Omit<Decision, 'outcome' | 'explanation'> => ({
    decisionId: candidate.decisionId,
    tenantId: context.tenantId,
    customerId: context.customerId,
    decidedAt,
    action: candidate.action,
    source: candidate.source,
    ...(candidate.trigger === undefined ? {} : { trigger: candidate.trigger }),
  });
  const suppress = (ranked: Ranked, stop: Stop, channel?: ActionChannel) => {
    const { rawPriority: _raw, ...factors } = ranked.factors;
    decisions[ranked.index] = {
      ...base(ranked.candidate),
      outcome: 'suppressed',
      reason: stop.reason,
      ...(channel === undefined ? {} : { channel }),
      factors,
      ...(stop.consent === undefined ? {} : { consent: stop.consent }),
      ...(stop.cap === undefined ? {} : { cap: stop.cap }),
      explanation: stop.explanation,
    };
  };

  const eligible: (Ranked & { options: ChannelOption[] })[] = [];
  for (const [index, candidate] of candidates.entries()) {
    const catalog = policy.catalog.get(candidate.action);
    const evaluation: EvaluationContext = { event: candidate.event, traits, now, count };
    const ranked: Ranked = {
      index,
      candidate,
      catalog,
      factors: factorsOf(catalog, candidate, policy, evaluation),
    };
    const stop = eligibilityStop(ranked, evaluation, moment);
    if (stop !== undefined) {
      suppress(ranked, stop);
      continue;
    }
    const options = channelOptions(ranked, context, policy, moment);
    if (Array.isArray(options)) eligible.push({ ...ranked, options });
    else suppress(ranked, options);
  }
  eligible.sort(compareRanked);

  const taken: TakenAction[] = [];
  const sends = sendsOf(working);
  const added: HistoryEntry[] = [];
  const perChannel = new Map<ActionChannel, string>();
  const slotsUsed = (channel: ActionChannel) => taken.filter((action) => action.channel === channel).length;
  eligible.forEach((ranked, position) => {
    ranked.factors.rank = position + 1;
    let stop: Stop | undefined;
    let stoppedOn: ActionChannel | undefined;
    for (const option of ranked.options) {
      // The slot first: a channel already taken at this moment needs no cap counting.
      const cap =
        slotsUsed(option.channel) >= policy.actionsPerChannelPerCause
          ? undefined
          : capThatStops(sends, ranked.catalog, policy.caps, ranked.candidate.action, option.channel, now);
      const slotStop: Stop | undefined =
        cap !== undefined
          ? {
              reason: 'frequency_cap',
              explanation: `You already got ${cap.count} such messages within ${cap.per}.`,
              cap,
            }
          : slotsUsed(option.channel) >= policy.actionsPerChannelPerCause
            ? {
                reason: 'lost_arbitration',
                explanation: `"${perChannel.get(option.channel)}" ranked higher for ${option.channel} at this moment.`,
              }
            : undefined;
      if (slotStop !== undefined) {
        if (stop === undefined) [stop, stoppedOn] = [slotStop, option.channel];
        continue;
      }
      const { rawPriority: _raw, ...factors } = ranked.factors;
      const deferred = option.deliverAt === undefined ? '' : `, to be sent when your quiet hours end`;
      const decision: Decision = {
        ...base(ranked.candidate),
        outcome: 'taken',
        channel: option.channel,
        factors,
        ...(option.consent === undefined ? {} : { consent: option.consent }),
        explanation: `"${ranked.candidate.action}" ranked ${position + 1} of ${eligible.length} (score ${factors.score}) and was sent on ${option.channel}${deferred}.`,
        actionId: ranked.candidate.decisionId,
        ...(option.deliverAt === undefined ? {} : { deliverAt: new Date(option.deliverAt).toISOString() }),
      };
      decisions[ranked.index] = decision;
      const purpose = ranked.catalog?.purpose ?? 'marketing';
      taken.push({
        candidate: ranked.candidate,
        channel: option.channel,
        payload: renderPayload(ranked, context),
        purpose,
        decision,
        ...(option.deliverAt === undefined ? {} : { deliverAt: option.deliverAt }),
      });
      perChannel.set(option.channel, ranked.candidate.action);
      const sent: HistoryEntry = {
        kind: 'sent',
        id: ranked.candidate.decisionId,
        action: ranked.candidate.action,
        channel: option.channel,
        at: decidedAt,
      };
      added.push(sent);
      sends.push({ at: now, action: sent.action, channel: sent.channel });
      return;
    }
    if (stop !== undefined) suppress(ranked, stop, stoppedOn);
  });
  return { taken, decisions, history: withEntries(history, added, now) };
}
