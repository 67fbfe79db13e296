import type { ConsentChange, ConsentLedger } from '../../../schemas/consent.js';
import { ConsentChannel, consentChannelOf } from '../../../schemas/consent.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import type { Journey } from '../../../schemas/journey.js';
import { parseIso } from '../iso-time.js';
import { type JourneyEffects, type PublishedJourneys, versionKey } from '../journey-runtime.js';
import { consentAllows } from './consent-allows.js';
import type { ConsentPolicy } from './consent-policy.js';

/** A use of the customer's data a journey makes: a purpose, on a channel when it reaches them. */
export interface ConsentUse {
  purpose: string;
  channel?: ConsentChannel | undefined;
}

/** The purpose an action uses when it names none. */
export const DEFAULT_ACTION_PURPOSE = 'marketing';

/**
 * What a journey needs consent for: the purpose and channel of each of its actions (an action
 * without a purpose is `marketing`). A journey without actions needs nothing.
 */
export function usesOfJourney(journey: Journey): ConsentUse[] {
  const uses = new Map<string, ConsentUse>();
  for (const step of Object.values(journey.steps)) {
    if (step.type !== 'action') continue;
    const use = {
      purpose: step.action.purpose ?? DEFAULT_ACTION_PURPOSE,
      channel: consentChannelOf(step.action.channel),
    };
    uses.set(`${use.purpose}/${use.channel ?? ''}`, use);
  }
  return [...uses.values()];
}

/**
 * Did a consent change withdraw something `uses` relied on: allowed under `before`, refused under
 * `after`? Uses that were refused already are not a withdrawal (granting analytics must not end
 * a journey that waits for a marketing opt-in).
 */
export function withdraws(
  before: ConsentLedger | undefined,
  after: ConsentLedger | undefined,
  policy: ConsentPolicy,
  uses: readonly ConsentUse[],
  at: number,
): boolean {
  return uses.some(
    (use) =>
      consentAllows(before, policy.defaults, use, at).allowed &&
      !consentAllows(after, policy.defaults, use, at).allowed,
  );
}

/** Purposes a Global Privacy Control signal objects to (as `consentAllows` judges them). */
const OBJECTED_BY_GPC = ['marketing', 'sharing'];

const channelAllowed = (basis: string) => basis === 'granted' || basis === 'default_granted';

/**
 * Did `change` withdraw anything: a purpose or channel it refuses (or a purpose its GPC signal
 * objects to) that was allowed under `before` and is refused under `after`? A refusal repeated on
 * every call (Segment's consent wrapper sends `Advertising: false` each time) withdraws nothing.
 */
export function changeWithdraws(
  before: ConsentLedger | undefined,
  after: ConsentLedger | undefined,
  change: ConsentChange,
  policy: ConsentPolicy,
  at: number,
): boolean {
  const refused = Object.entries(change.purposes).flatMap(([purpose, status]) =>
    status === 'denied' ? [purpose] : [],
  );
  const purposes = change.gpc === true ? [...refused, ...OBJECTED_BY_GPC] : refused;
  const channels = (Object.entries(change.channels) as [ConsentChannel, string][]).flatMap(
    ([channel, status]) => (status === 'denied' ? [channel] : []),
  );
  return anyWithdrawn(before, after, policy, purposes, channels, at);
}

/**
 * Did replacing ledger `before` by `after` withdraw anything at all (a merge joins two ledgers,
 * newer-wins, so any purpose the tenant knows or channel may have turned to a refusal)?
 */
export function ledgerWithdraws(
  before: ConsentLedger | undefined,
  after: ConsentLedger | undefined,
  policy: ConsentPolicy,
  at: number,
): boolean {
  const purposes = new Set([...policy.purposes, ...OBJECTED_BY_GPC, ...Object.keys(after?.purposes ?? {})]);
  return anyWithdrawn(before, after, policy, [...purposes], ConsentChannel.options, at);
}

/** Whether one of `purposes` or `channels` was allowed under `before` and is refused under `after`. */
function anyWithdrawn(
  before: ConsentLedger | undefined,
  after: ConsentLedger | undefined,
  policy: ConsentPolicy,
  purposes: readonly string[],
  channels: readonly ConsentChannel[],
  at: number,
): boolean {
  if (
    withdraws(
      before,
      after,
      policy,
      purposes.map((purpose) => ({ purpose })),
      at,
    )
  )
    return true;
  return channels.some((channel) => {
    // A channel's basis does not depend on the purpose asked with it.
    const use = { purpose: DEFAULT_ACTION_PURPOSE, channel };
    return (
      channelAllowed(consentAllows(before, policy.defaults, use, at).channelBasis) &&
      !channelAllowed(consentAllows(after, policy.defaults, use, at).channelBasis)
    );
  });
}

/**
 * Ends, at once, the customer's live journey instances whose consent was just withdrawn (any use
 * of their journey allowed before the change and refused after): each exits, its pending timer
 * is cancelled, and the exit is explained. Their undelivered actions are cancelled by the
 * processor after the write, and the dispatcher checks consent again before any send.
 *
 * @example
 * state = exitInstancesOnWithdrawal(state, previousLedger, journeys, policy, effects, at)
 */
export function exitInstancesOnWithdrawal(
  state: CustomerState,
  before: ConsentLedger | undefined,
  journeys: PublishedJourneys,
  policy: ConsentPolicy,
  effects: JourneyEffects,
  at: string,
): CustomerState {
  const now = parseIso(at);
  const remaining = { ...state.instances };
  for (const [instanceId, instance] of Object.entries(state.instances ?? {})) {
    const compiled = journeys.byVersion.get(versionKey(instance.journeyId, instance.version));
    if (compiled === undefined) continue;
    if (!withdraws(before, state.consent, policy, usesOfJourney(compiled.journey), now)) continue;
    delete remaining[instanceId];
    if (instance.waiting !== undefined) effects.timers.cancel.push(instance.waiting.timerId);
    effects.metrics.push({ journeyId: instance.journeyId, version: instance.version, name: 'exited' });
    effects.explanations.push({
      at,
      journeyId: instance.journeyId,
      version: instance.version,
      instanceId,
      stepId: instance.stepId,
      what: 'exited: the customer withdrew the consent this journey needs',
    });
  }
  if (Object.keys(remaining).length === Object.keys(state.instances ?? {}).length) return state;
  const { instances: _all, ...withoutInstances } = state;
  return Object.keys(remaining).length === 0 ? withoutInstances : { ...state, instances: remaining };
}
