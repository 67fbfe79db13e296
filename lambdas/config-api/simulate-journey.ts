import type { SimulateRequest, SimulateResponse } from '../../schemas/config-api.js';
import { SimulateRequest as SimulateRequestSchema } from '../../schemas/config-api.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import type { Journey } from '../../schemas/journey.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import { type CallRecord, type StreamRecord, timerFiredRecord } from '../../schemas/stream-record.js';
import type { Timer } from '../../schemas/timer.js';
import { consentPolicyOf } from '../core/consent/consent-policy.js';
import { applyRecordsToCustomer, compileJourneys } from '../core/engine.js';

/** The dry run walks the journey's path: its customer is taken to have consented to everything built in. */
const DRY_RUN_CONSENT = consentPolicyOf(
  { purposes: { analytics: true, personalization: true, marketing: true }, channels: {} },
  [],
);

import type { JourneyMetric } from '../core/journey-runtime.js';

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
 * (`applyRecordsToCustomer` over `compileJourneys`), one record at a time, with due timers fed
 * back as the sweeper would, in time order. Nothing is read or written: the state lives in this
 * function and the actions are only reported.
 *
 * @example
 * simulateJourney('acme', journey, 'draft', { events: [{ at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned' }] })
 */
export function simulateJourney(
  tenantId: string,
  journey: Journey,
  ran: number | 'draft',
  input: SimulateRequest,
): SimulateResponse {
  const request = SimulateRequestSchema.parse(input);
  const { customerId } = request;
  // The simulated version is the one new customers enter, whatever its stored status.
  const journeys = compileJourneys([{ ...journey, status: 'published' }], [], DRY_RUN_CONSENT);
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
    notes: ['Consents are echoed, not enforced: journeys do not check consent yet.'],
  };
  const pending = new Map<string, Timer>();
  let state: CustomerState | undefined;
  let sequence = 0;

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
    for (const action of outcome.actions)
      result.actions.push({
        at: action.firedAt,
        ...(action.stepId === undefined ? {} : { stepId: action.stepId }),
        action: action.action,
        channel: action.channel,
        payload: action.payload,
        ...(action.variant === undefined ? {} : { variant: action.variant }),
      });
    for (const metric of outcome.metrics) {
      const words = MILESTONE_WORDS[metric.name];
      if (words !== undefined)
        result.path.push({
          at,
          ...(metric.stepId === undefined ? {} : { stepId: metric.stepId }),
          what: words,
        });
      if (metric.name === 'suppressed')
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

  // The profile as it stands before the timeline: an identify a second before the first event.
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
