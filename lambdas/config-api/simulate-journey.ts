import type { SimulateRequest, SimulateResponse } from '../../schemas/config-api.js';
import { SimulateRequest as SimulateRequestSchema, TenantSettings } from '../../schemas/config-api.js';
import { type ConsentChange, ConsentChannel } from '../../schemas/consent.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import type { Journey } from '../../schemas/journey.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import { type CallRecord, type StreamRecord, timerFiredRecord } from '../../schemas/stream-record.js';
import type { Timer } from '../../schemas/timer.js';
import { type ConsentPolicy, consentPolicyOf } from '../core/consent/consent-policy.js';
import { EMPTY_HISTORY, pushMoment } from '../core/decisioning/caps-history.js';
import { decide } from '../core/decisioning/decide.js';
import {
  candidateOf,
  type SuppressedIntent,
  withSuppressions,
} from '../core/decisioning/journey-candidate.js';
import { buildPolicy, type DecisionPolicy } from '../core/decisioning/policy.js';
import { type ActionIntent, applyRecordsToCustomer, compileJourneys } from '../core/engine.js';
import type { JourneyMetric } from '../core/journey-runtime.js';

/** The tenant's policies a dry run follows, loaded as the processor loads them. */
export interface SimulationPolicies {
  consent: ConsentPolicy;
  decision: DecisionPolicy;
}

/** Without the tenant's policies: a customer taken to have consented to everything built in. */
const BUILT_IN_CONSENT = { analytics: true, personalization: true, marketing: true };
const DRY_RUN_POLICIES: SimulationPolicies = {
  consent: consentPolicyOf({ purposes: BUILT_IN_CONSENT, channels: {} }, []),
  decision: buildPolicy([], TenantSettings.parse({ consentDefaults: BUILT_IN_CONSENT }), undefined),
};

const DAY_MS = 86_400_000;

/** Milestones the engine counts but does not always explain, in words for the path. */
const MILESTONE_WORDS: Partial<Record<JourneyMetric['name'], string>> = {
  waiting: 'waits here',
  resumed: 'resumes',
  action: 'fires its action',
  exited: 'exits the journey',
  completed: 'reaches the end of the journey',
  goal: 'reaches the goal',
};
/** A journey that keeps setting timers (a wait in a loop) stops being simulated here. */
export const MAX_SIMULATED_TIMERS = 1_000;

/**
 * A dry run: the customer's profile and timeline go through the very engine the processor runs
 * (`applyRecordsToCustomer` over `compileJourneys`, with the tenant's consent policy), one record
 * at a time, with due timers fed back as the sweeper would, in time order, and the actions through
 * the processor's decisioning (`decide`: catalog, consent, quiet hours, caps, with a caps history
 * of the run's own sends). The request's `consents` are the customer's ledger. Nothing is read or
 * written: the state lives in this function and the actions are only reported.
 *
 * @example
 * simulateJourney('acme', journey, 'draft', { events: [{ at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned' }] })
 */
export function simulateJourney(
  tenantId: string,
  journey: Journey,
  ran: number | 'draft',
  input: SimulateRequest,
  policies: SimulationPolicies = DRY_RUN_POLICIES,
): SimulateResponse {
  const request = SimulateRequestSchema.parse(input);
  const { customerId } = request;
  // The simulated version is the one new customers enter, whatever its stored status.
  const journeys = compileJourneys(
    [{ ...journey, status: 'published' }],
    [],
    policies.consent,
    policies.decision.countedConditions,
  );
  const events = [...request.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const firstAt = Date.parse(events[0]?.at ?? '');
  const lastAt = Date.parse(events.at(-1)?.at ?? '');
  const until = request.until === undefined ? lastAt + 90 * DAY_MS : Date.parse(request.until);

  const result: SimulateResponse = {
    journeyId: journey.id,
    ran,
    consents: request.consents,
    path: [],
    actions: [],
    suppressed: [],
    timers: [],
    goal: { reached: false },
    notes: [],
  };
  const pending = new Map<string, Timer>();
  let state: CustomerState | undefined;
  let history = EMPTY_HISTORY;
  let sequence = 0;

  /** The processor's post-pass: each cause's intents compete at its moment; returns the losers. */
  const decideActions = (intents: readonly ActionIntent[], record: StreamRecord): SuppressedIntent[] => {
    const suppressed: SuppressedIntent[] = [];
    const byCause = new Map<string, ActionIntent[]>();
    for (const intent of intents)
      byCause.set(intent.triggeredBy.messageId, [
        ...(byCause.get(intent.triggeredBy.messageId) ?? []),
        intent,
      ]);
    for (const [causeId, group] of byCause) {
      const event =
        record.kind === 'call' && record.call.messageId === causeId
          ? (record.call as unknown as Record<string, unknown>)
          : undefined;
      const byId = new Map(group.map((intent) => [intent.actionId, intent]));
      const now = pushMoment(history, new Set(byId.keys()), Date.parse(group[0]?.firedAt ?? ''));
      const context = { tenantId, customerId, state: state ?? {} };
      const decided = decide(
        group.map((intent) => candidateOf(intent, event)),
        context,
        policies.decision,
        history,
        now,
      );
      history = decided.history;
      for (const decision of decided.decisions) {
        const intent = byId.get(decision.decisionId);
        if (intent === undefined) continue;
        const step = intent.stepId === undefined ? {} : { stepId: intent.stepId };
        if (decision.outcome === 'suppressed') {
          const reason = decision.reason ?? 'suppressed';
          suppressed.push({ intent, reason });
          result.suppressed.push({
            at: intent.firedAt,
            ...step,
            reason: `${reason}: ${decision.explanation}`,
          });
          result.path.push({
            at: intent.firedAt,
            ...step,
            what: `action "${intent.action}" suppressed (${reason})`,
          });
          continue;
        }
        const taken = decided.taken.find((winner) => winner.candidate.decisionId === decision.decisionId);
        result.actions.push({
          at: intent.firedAt,
          ...step,
          action: intent.action,
          channel: taken?.channel ?? intent.channel,
          payload: taken?.payload ?? intent.payload,
          ...(intent.variant === undefined ? {} : { variant: intent.variant }),
          ...(decision.deliverAt === undefined ? {} : { deliverAt: decision.deliverAt }),
        });
      }
    }
    return suppressed;
  };

  const apply = (record: StreamRecord, at: string) => {
    sequence += 1;
    const outcome = applyRecordsToCustomer(state, [{ sequenceNumber: String(sequence), record }], journeys);
    state = outcome.state;
    for (const explanation of outcome.explanations)
      result.path.push({
        at: explanation.at,
        ...(explanation.stepId === undefined ? {} : { stepId: explanation.stepId }),
        what: explanation.what,
      });
    const suppressed = decideActions(outcome.actions, record);
    for (const metric of withSuppressions(outcome.metrics, suppressed)) {
      const words = MILESTONE_WORDS[metric.name];
      if (words !== undefined)
        result.path.push({
          at,
          ...(metric.stepId === undefined ? {} : { stepId: metric.stepId }),
          what: words,
        });
      if (metric.name === 'suppressed' && metric.reason === undefined)
        result.suppressed.push({
          at,
          ...(metric.stepId === undefined ? {} : { stepId: metric.stepId }),
          reason: metric.holdout
            ? 'holdout: the customer is in the control group'
            : 'suppressed by the journey',
        });
      if (metric.name === 'goal' && !result.goal.reached) result.goal = { reached: true, at };
    }
    for (const timerId of outcome.timers.cancel) {
      pending.delete(timerId);
      const listed = result.timers.find((timer) => timer.timerId === timerId && timer.firedAt === undefined);
      if (listed !== undefined) listed.cancelled = true;
    }
    for (const timer of outcome.timers.set) {
      pending.set(timer.timerId, timer);
      result.timers.push({ timerId: timer.timerId, dueAt: timer.dueAt, cancelled: false });
    }
  };

  /** Fires, as the sweeper would, every timer due by `time`, earliest first. */
  const fireTimersDueBy = (time: number) => {
    for (let fired = 0; fired < MAX_SIMULATED_TIMERS; fired += 1) {
      const due = [...pending.values()]
        .filter((timer) => Date.parse(timer.dueAt) <= time)
        .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
      if (due === undefined) return;
      pending.delete(due.timerId);
      const listed = result.timers.find(
        (timer) => timer.timerId === due.timerId && timer.firedAt === undefined,
      );
      if (listed !== undefined) listed.firedAt = due.dueAt;
      apply(timerFiredRecord(due, due.dueAt), due.dueAt);
    }
    result.notes.push(`Stopped after ${MAX_SIMULATED_TIMERS} timers: the journey keeps waiting in a loop.`);
  };

  // The customer's consents, then their profile, as they stand before the timeline.
  const consentAt = new Date(firstAt - 2_000).toISOString();
  if (Object.keys(request.consents).length > 0)
    apply(
      {
        kind: 'consent',
        tenantId,
        customerId,
        receivedAt: consentAt,
        changeId: 'sim-consents',
        change: consentChangeOf(request.consents, consentAt),
      },
      consentAt,
    );
  const profileAt = new Date(firstAt - 1_000).toISOString();
  apply(
    callRecord(tenantId, customerId, 'sim-profile', profileAt, { type: 'identify', traits: request.profile }),
    profileAt,
  );
  events.forEach((event, index) => {
    fireTimersDueBy(Date.parse(event.at));
    const call =
      event.type === 'identify'
        ? { type: 'identify' as const, traits: event.traits }
        : { type: 'track' as const, event: event.event ?? 'Unnamed Event', properties: event.properties };
    apply(
      callRecord(tenantId, customerId, `sim-${index + 1}`, event.at, call, event.channel, event.context),
      event.at,
    );
  });
  fireTimersDueBy(until);
  return result;
}

function callRecord(
  tenantId: string,
  customerId: string,
  messageId: string,
  at: string,
  call:
    | { type: 'identify'; traits: Record<string, unknown> }
    | { type: 'track'; event: string; properties: Record<string, unknown> },
  channel: SegmentCall['channel'] = 'web',
  context: Record<string, unknown> = {},
): CallRecord {
  return {
    kind: 'call',
    tenantId,
    customerId,
    receivedAt: at,
    call: { ...call, userId: customerId, messageId, timestamp: at, receivedAt: at, channel, context },
  };
}

/** `consents` as a change: a consent channel's name (`email`, `sms`…) names the channel, anything else a purpose. */
function consentChangeOf(consents: Record<string, boolean>, at: string): ConsentChange {
  const change: ConsentChange = { purposes: {}, channels: {}, at, source: 'simulation' };
  for (const [name, granted] of Object.entries(consents)) {
    const status = granted ? 'granted' : 'denied';
    const channel = ConsentChannel.safeParse(name);
    if (channel.success) change.channels[channel.data] = status;
    else change.purposes[name] = status;
  }
  return change;
}
