import type { ActionWebhookBody } from '../../schemas/action.js';
import type { Condition } from '../../schemas/condition.js';
import type { CustomerState, JourneyInstance } from '../../schemas/customer-state.js';
import { durationSeconds } from '../../schemas/duration.js';
import type { Journey, Step } from '../../schemas/journey.js';
import type { Timer } from '../../schemas/timer.js';
import { compileCondition, type EvaluationContext, type Predicate } from './conditions.js';
import { type ConsentPolicy, OPT_IN_POLICY } from './consent/consent-policy.js';
import {
  type CounterBuckets,
  CounterRegistry,
  type CounterSpec,
  countWithin,
  increment,
} from './counters.js';
import { TriggeredJourneys } from './entry-index.js';
import { actionIdFor, instanceIdFor, timerIdFor } from './ids.js';
import { formatIso, parseIso } from './iso-time.js';
import { nextLocalTime, outsideQuietHours, resolveTimeZone } from './local-time.js';
import { pickVariant, splitBucket } from './split.js';
import type { StateDraft } from './state-draft.js';

const RECENT_EVENTS_KEPT = 20;
const ATTRIBUTION_WINDOWS_KEPT = 20;

interface CompiledEventMatch {
  event: string;
  matches: Predicate;
}

type CompiledStep =
  | (Extract<Step, { type: 'branch' }> & { compiled: Predicate[] })
  | (Extract<Step, { type: 'waitForEvent' }> & { matches: Predicate; lookbackMs: number; timeoutMs: number })
  | Exclude<Step, { type: 'branch' | 'waitForEvent' }>;

/** A journey version ready to run: every condition compiled once, not interpreted per event. */
export interface CompiledJourney {
  journey: Journey;
  entry: Predicate;
  steps: ReadonlyMap<string, CompiledStep>;
  exitWhen: readonly CompiledEventMatch[];
  goal: (CompiledEventMatch & { withinMs: number }) | undefined;
  /** The re-entry cooldown in ms (`afterCooldown` only), parsed once rather than per event. */
  cooldownMs: number;
}

/** A tenant's journeys, indexed so that an event meets only the journeys it concerns. */
export interface PublishedJourneys {
  /** Published journeys entered by an event, by event name, highest priority first. */
  byTriggerEvent: ReadonlyMap<string, readonly CompiledJourney[]>;
  /** The same, indexed by what their entry conditions require of the event (see entry-index.ts). */
  entriesByEvent: ReadonlyMap<string, TriggeredJourneys>;
  /** Published journeys entered when a profile condition becomes true. */
  profileEntries: readonly CompiledJourney[];
  /** Every known version, for instances that entered an older one. */
  byVersion: ReadonlyMap<string, CompiledJourney>;
  /** The same versions by journey id, then version: found per instance without building a key. */
  versionsByJourney: ReadonlyMap<string, ReadonlyMap<number, CompiledJourney>>;
  /** Events some journey version counts as its goal: any other event converts nothing. */
  goalEvents: ReadonlySet<string>;
  /**
   * Events a live instance can react to (an exit criterion's, a waitForEvent's): any other event
   * leaves every instance as it is, and their walk is skipped.
   */
  instanceEvents: ReadonlySet<string>;
  countersByEvent: ReadonlyMap<string, readonly CounterSpec[]>;
  counters: CounterRegistry;
  /** Every counter's id, in one order: the order of a customer's counters map (see recordBehaviour). */
  counterIds: readonly string[];
  /** Events that waitForEvent steps may look back on, with the longest look-back. */
  lookbackMsByEvent: ReadonlyMap<string, number>;
  /** The tenant's consent defaults and purposes: what the arrival gate and withdrawals judge by. */
  consent: ConsentPolicy;
}

export const versionKey = (journeyId: string, version: number) => `${journeyId}@${version}`;

/** The compiled version an instance runs on, if still known. */
export const compiledVersion = (journeys: PublishedJourneys, journeyId: string, version: number) =>
  journeys.versionsByJourney.get(journeyId)?.get(version);

function compileStep(step: Step, counters: CounterRegistry): CompiledStep {
  if (step.type === 'branch') {
    return { ...step, compiled: step.branches.map((branch) => compileCondition(branch.condition, counters)) };
  }
  if (step.type === 'waitForEvent') {
    return {
      ...step,
      matches: step.condition === undefined ? () => true : compileCondition(step.condition, counters),
      lookbackMs: durationSeconds(step.lookback) * 1_000,
      timeoutMs: durationSeconds(step.timeout) * 1_000,
    };
  }
  return step;
}

function compileJourney(journey: Journey, counters: CounterRegistry): CompiledJourney {
  const always: Predicate = () => true;
  const entryCondition = journey.entry.condition;
  return {
    journey,
    entry: entryCondition === undefined ? always : compileCondition(entryCondition, counters),
    steps: new Map(Object.entries(journey.steps).map(([id, step]) => [id, compileStep(step, counters)])),
    exitWhen: journey.exitWhen.map((exit) => ({
      event: exit.event,
      matches: exit.condition === undefined ? always : compileCondition(exit.condition, counters),
    })),
    goal:
      journey.goal === undefined
        ? undefined
        : {
            event: journey.goal.event,
            matches:
              journey.goal.condition === undefined
                ? always
                : compileCondition(journey.goal.condition, counters),
            withinMs: durationSeconds(journey.goal.within) * 1_000,
          },
    cooldownMs:
      journey.reentry.mode === 'afterCooldown' ? durationSeconds(journey.reentry.cooldown) * 1_000 : 0,
  };
}

/**
 * Compiles a tenant's journeys: `current` are the versions new customers enter (paused ones
 * admit nobody), `olderVersions` those that running instances may still be on, `consent` the
 * tenant's consent policy (opt-in when not given: events without consent are dropped),
 * `alsoCounted` conditions that decisioning reads, whose behaviour counts the state must keep.
 */
export function compileJourneys(
  current: readonly Journey[],
  olderVersions: readonly Journey[] = [],
  consent: ConsentPolicy = OPT_IN_POLICY,
  alsoCounted: readonly Condition[] = [],
): PublishedJourneys {
  const counters = new CounterRegistry();
  // Conditions read elsewhere (the action catalog's): only their counters are kept here.
  for (const condition of alsoCounted) compileCondition(condition, counters);
  const byVersion = new Map<string, CompiledJourney>();
  for (const journey of olderVersions)
    byVersion.set(versionKey(journey.id, journey.version), compileJourney(journey, counters));
  const byTriggerEvent = new Map<string, CompiledJourney[]>();
  const profileEntries: CompiledJourney[] = [];
  const lookbackMsByEvent = new Map<string, number>();
  for (const journey of current) {
    const compiled = compileJourney(journey, counters);
    byVersion.set(versionKey(journey.id, journey.version), compiled);
    if (journey.status !== 'published') continue;
    if (journey.entry.kind === 'profile') profileEntries.push(compiled);
    else
      byTriggerEvent.set(journey.entry.event, [...(byTriggerEvent.get(journey.entry.event) ?? []), compiled]);
  }
  for (const compiled of byVersion.values()) {
    for (const step of compiled.steps.values()) {
      if (step.type !== 'waitForEvent' || step.lookbackMs === 0) continue;
      lookbackMsByEvent.set(step.event, Math.max(lookbackMsByEvent.get(step.event) ?? 0, step.lookbackMs));
    }
  }
  const versionsByJourney = new Map<string, Map<number, CompiledJourney>>();
  const goalEvents = new Set<string>();
  const instanceEvents = new Set<string>();
  for (const compiled of byVersion.values()) {
    const { id, version } = compiled.journey;
    const versions = versionsByJourney.get(id) ?? new Map<number, CompiledJourney>();
    versionsByJourney.set(id, versions.set(version, compiled));
    if (compiled.goal !== undefined) goalEvents.add(compiled.goal.event);
    for (const exit of compiled.exitWhen) instanceEvents.add(exit.event);
    for (const step of compiled.steps.values())
      if (step.type === 'waitForEvent') instanceEvents.add(step.event);
  }
  const byPriority = (a: CompiledJourney, b: CompiledJourney) =>
    b.journey.priority - a.journey.priority || a.journey.id.localeCompare(b.journey.id);
  const entriesByEvent = new Map<string, TriggeredJourneys>();
  for (const [event, list] of byTriggerEvent)
    entriesByEvent.set(event, new TriggeredJourneys(list.sort(byPriority)));
  profileEntries.sort(byPriority);
  return {
    byTriggerEvent,
    entriesByEvent,
    profileEntries,
    byVersion,
    versionsByJourney,
    goalEvents,
    instanceEvents,
    countersByEvent: counters.forEvent(),
    counters,
    counterIds: counters.ids(),
    lookbackMsByEvent,
    consent,
  };
}

/** What applying records asks the adapters to do, besides writing the state. */
export interface JourneyEffects {
  actions: ActionWebhookBody[];
  timers: { set: Timer[]; cancel: string[] };
  metrics: JourneyMetric[];
  /** Why each step was taken or an action suppressed, in words, for the decision log. */
  explanations: Explanation[];
}

export interface JourneyMetric {
  journeyId: string;
  version: number;
  name:
    | 'entered'
    | 'action'
    | 'suppressed'
    | 'waiting'
    | 'resumed'
    | 'timed_out'
    | 'exited'
    | 'completed'
    | 'goal';
  stepId?: string;
  variant?: string;
  holdout?: boolean;
  /** Why decisioning suppressed the action (`frequency_cap`, `no_consent`…); absent for a holdout. */
  reason?: string;
}

export interface Explanation {
  at: string;
  journeyId: string;
  version: number;
  instanceId: string;
  stepId?: string;
  what: string;
}

export const noEffects = (): JourneyEffects => ({
  actions: [],
  timers: { set: [], cancel: [] },
  metrics: [],
  explanations: [],
});

/** The record being applied: its id (the cause of whatever happens) and its time (the clock). */
export interface Cause {
  tenantId: string;
  customerId: string;
  messageId: string;
  eventName: string;
  at: string;
}

const NO_TRAITS: Readonly<Record<string, unknown>> = Object.freeze({});

/** A customer's trait values, by name: what `traits.*` paths read. */
function traitValues(state: CustomerState): Readonly<Record<string, unknown>> {
  const traits = state.profile?.traits;
  if (traits === undefined) return NO_TRAITS;
  const values: Record<string, unknown> = {};
  for (const name in traits) if (Object.hasOwn(traits, name)) values[name] = traits[name]?.value;
  return values;
}

/**
 * What conditions read while a record walks the journeys. Trait values are gathered only when a
 * condition first reads them (most events are turned away by the event's own properties), and
 * `count` is a method, not a closure made per context.
 */
class StateContext implements EvaluationContext {
  private traitValues: Readonly<Record<string, unknown>> | undefined;

  constructor(
    private readonly state: CustomerState,
    private readonly journeys: PublishedJourneys,
    readonly event: Record<string, unknown> | undefined,
    readonly now: number,
  ) {}

  get traits(): Readonly<Record<string, unknown>> {
    this.traitValues ??= traitValues(this.state);
    return this.traitValues;
  }

  count(counterId: string, withinSeconds: number): number {
    const spec = this.journeys.counters.get(counterId);
    return spec === undefined
      ? 0
      : countWithin(this.state.counters?.[counterId], spec.bucketSeconds, withinSeconds, this.now);
  }

  /** The same customer and moment, another event (a recent one a waitForEvent looks back on). */
  withEvent(event: Record<string, unknown>): StateContext {
    const context = new StateContext(this.state, this.journeys, event, this.now);
    context.traitValues = this.traitValues;
    return context;
  }
}

function contextFor(
  state: CustomerState,
  journeys: PublishedJourneys,
  event: Record<string, unknown> | undefined,
  now: number,
): StateContext {
  return new StateContext(state, journeys, event, now);
}

/**
 * Counters and the look-back buffer see every event first, so conditions read them up to date.
 * Changes `draft` in place.
 */
export function recordBehaviour(
  draft: StateDraft,
  journeys: PublishedJourneys,
  event: Record<string, unknown>,
  eventName: string,
  messageId: string,
  occurredAt: number,
  now: number,
): void {
  const specs = journeys.countersByEvent.get(eventName);
  if (specs !== undefined) {
    const counted = new Map<string, CounterBuckets>();
    const stored = draft.state.counters;
    // Counters the map holds already are changed in place (in the draft's own copy); a counter
    // counting for the first time rebuilds the map in the tenant's order.
    let added = false;
    for (const spec of specs) {
      if (!spec.matches(event)) continue;
      const buckets = stored?.[spec.id];
      if (buckets === undefined) added = true;
      counted.set(spec.id, increment(buckets, spec, occurredAt));
    }
    if (added) draft.setCounters(countersWith(stored, counted, journeys.counterIds));
    else if (counted.size > 0) {
      const counters = draft.counters();
      for (const [id, buckets] of counted) counters[id] = buckets;
    }
  }
  const lookbackMs = journeys.lookbackMsByEvent.get(eventName);
  if (lookbackMs !== undefined) {
    const properties = (event.properties ?? {}) as Record<string, unknown>;
    draft.state.recentEvents = [
      ...(draft.state.recentEvents ?? []),
      { event: eventName, at: formatIso(occurredAt), properties, messageId },
    ]
      .filter((recent) => now - parseIso(recent.at) <= (journeys.lookbackMsByEvent.get(recent.event) ?? 0))
      .slice(-RECENT_EVENTS_KEPT);
  }
}

/**
 * A customer's counters map with `counted` set, its ids in the tenant's counter order: maps built
 * in one order share their shape, which makes reading them (every count condition) and copying
 * them several times cheaper than maps in each customer's own order. Counters no published
 * journey asks about any more are kept, after the others.
 */
function countersWith(
  stored: Readonly<Record<string, CounterBuckets>> | undefined,
  counted: ReadonlyMap<string, CounterBuckets>,
  order: readonly string[],
): Record<string, CounterBuckets> {
  const counters: Record<string, CounterBuckets> = {};
  let kept = 0;
  for (const id of order) {
    const buckets = stored?.[id];
    if (buckets !== undefined) kept += 1;
    const value = counted.get(id) ?? buckets;
    if (value !== undefined) counters[id] = value;
  }
  if (stored !== undefined && kept !== Object.keys(stored).length)
    for (const id in stored)
      if (Object.hasOwn(stored, id) && !Object.hasOwn(counters, id))
        counters[id] = stored[id] as CounterBuckets;
  return counters;
}

/**
 * What one record does to a customer's journeys: the published journeys, the record as cause
 * and clock, the event it carries (none for a timer), the customer's working state, and where
 * its effects are collected.
 */
interface Walk {
  journeys: PublishedJourneys;
  cause: Cause;
  event: Record<string, unknown> | undefined;
  draft: StateDraft;
  effects: JourneyEffects;
  now: number;
  /** What conditions read during this walk, built on first use (see `contextOf`). */
  context: StateContext | undefined;
}

/** A live instance with its id and the journey version it runs on. */
interface Live {
  id: string;
  instance: JourneyInstance;
  compiled: CompiledJourney;
}

const liveWith = (live: Live, instance: JourneyInstance): Live => ({
  id: live.id,
  instance,
  compiled: live.compiled,
});

type Waiting = NonNullable<JourneyInstance['waiting']>;

/**
 * An instance with its step, wait, arm or conversion changed (`null` clears a wait), built field
 * by field in the schema's order. A spread of an instance is a generic copy, slow for the many
 * shapes instances come in, and a walk made several per step: this cut the engine's instructions
 * per record by about 6 %. Instances hold their schema's fields only (states are parsed by it
 * when read), so there is nothing else to keep.
 */
function instanceWith(
  instance: JourneyInstance,
  change: {
    stepId?: string;
    waiting?: Waiting | null;
    variant?: string;
    holdout?: true;
    goalReachedAt?: string;
  },
): JourneyInstance {
  const next: JourneyInstance = {
    journeyId: instance.journeyId,
    version: instance.version,
    stepId: change.stepId ?? instance.stepId,
    enteredAt: instance.enteredAt,
  };
  const waiting = change.waiting === undefined ? instance.waiting : (change.waiting ?? undefined);
  if (waiting !== undefined) next.waiting = waiting;
  const variant = change.variant ?? instance.variant;
  if (variant !== undefined) next.variant = variant;
  const holdout = change.holdout ?? instance.holdout;
  if (holdout !== undefined) next.holdout = holdout;
  if (instance.goalUntil !== undefined) next.goalUntil = instance.goalUntil;
  const goalReachedAt = change.goalReachedAt ?? instance.goalReachedAt;
  if (goalReachedAt !== undefined) next.goalReachedAt = goalReachedAt;
  return next;
}

const walkOf = (
  journeys: PublishedJourneys,
  cause: Cause,
  event: Record<string, unknown> | undefined,
  draft: StateDraft,
  effects: JourneyEffects,
  now: number,
): Walk => ({ journeys, cause, event, draft, effects, now, context: undefined });

/**
 * The walk's evaluation context, built once for all its conditions (goals, exits, waits, entry
 * conditions, branches). A walk changes instances and journey progress, never the traits or the
 * counters conditions read, so the context built when first asked holds for the whole walk.
 */
function contextOf(walk: Walk): StateContext {
  walk.context ??= contextFor(walk.draft.state, walk.journeys, walk.event, walk.now);
  return walk.context;
}

function explain(walk: Walk, live: Live, stepId: string | undefined, what: string): void {
  const { journey } = live.compiled;
  walk.effects.explanations.push({
    at: walk.cause.at,
    journeyId: journey.id,
    version: live.instance.version,
    instanceId: live.id,
    ...(stepId === undefined ? {} : { stepId }),
    what,
  });
}

/** The live instances with a known journey version, as they are before the walk changes any. */
function liveInstances(state: CustomerState, journeys: PublishedJourneys): Live[] {
  const live: Live[] = [];
  const { instances } = state;
  for (const id in instances) {
    const instance = instances[id] as JourneyInstance;
    const compiled = compiledVersion(journeys, instance.journeyId, instance.version);
    if (compiled !== undefined) live.push({ id, instance, compiled });
  }
  return live;
}

/**
 * Runs a tracked event through the customer's journeys: goals, exits, waits resumed, entries.
 * Changes `draft` in place.
 */
export function applyEventToJourneys(
  draft: StateDraft,
  journeys: PublishedJourneys,
  event: Record<string, unknown>,
  cause: Cause,
  effects: JourneyEffects,
  now: number = parseIso(cause.at),
): void {
  const walk = walkOf(journeys, cause, event, draft, effects, now);

  recordGoals(walk);
  if (draft.state.instances !== undefined && journeys.instanceEvents.has(cause.eventName)) {
    for (const live of liveInstances(draft.state, journeys)) {
      const exit = live.compiled.exitWhen.find(
        (candidate) => candidate.event === cause.eventName && candidate.matches(contextOf(walk)),
      );
      if (exit !== undefined) {
        explain(walk, live, live.instance.stepId, `exit criterion "${exit.event}" met`);
        finish(walk, live, 'exited');
        continue;
      }
      const step = live.compiled.steps.get(live.instance.stepId);
      // An event after the time-out is late, even if the timer's record has not come back yet (the
      // sweeper runs every minute): the time-out has won, and its record will say so.
      if (step?.type !== 'waitForEvent' || step.event !== cause.eventName) continue;
      const late = live.instance.waiting !== undefined && parseIso(live.instance.waiting.dueAt) < walk.now;
      if (!late && step.matches(contextOf(walk))) {
        resume(walk, live, step.next, 'resumed', `"${step.event}" arrived`);
      }
    }
  }
  const triggered = journeys.entriesByEvent.get(cause.eventName);
  if (triggered === undefined) return;
  for (const compiled of triggered.candidates(contextOf(walk))) {
    // The entry condition first: it turns most events away, reading the event alone, before the
    // customer's progress and instances are looked up. Both are pure: the order changes nothing else.
    if (!compiled.entry(contextOf(walk)) || !mayEnter(draft.state, compiled, walk.now)) continue;
    enter(walk, compiled);
  }
}

/**
 * After an identify: journeys entered "when a profile condition becomes true" admit the
 * customer if the condition holds now (in `draft`) and did not `before` this call.
 */
export function applyProfileChangeToJourneys(
  before: CustomerState,
  draft: StateDraft,
  journeys: PublishedJourneys,
  cause: Cause,
  effects: JourneyEffects,
  now: number = parseIso(cause.at),
): void {
  const walk = walkOf(journeys, cause, undefined, draft, effects, now);
  let beforeContext: EvaluationContext | undefined;
  for (const compiled of journeys.profileEntries) {
    beforeContext ??= contextFor(before, journeys, undefined, walk.now);
    if (compiled.entry(beforeContext) || !mayEnter(draft.state, compiled, walk.now)) continue;
    if (!compiled.entry(contextOf(walk))) continue;
    enter(walk, compiled);
  }
}

/**
 * A timer came due: the wait ends, or the waitForEvent times out. A stale timer changes nothing.
 * Changes `draft` in place.
 */
export function applyTimerToJourneys(
  draft: StateDraft,
  journeys: PublishedJourneys,
  timer: { timerId: string; instanceId: string },
  cause: Cause,
  effects: JourneyEffects,
): void {
  // The fired timer's item is deleted in any case: it has done its job.
  effects.timers.cancel.push(timer.timerId);
  const { instances } = draft.state;
  const instance =
    instances !== undefined && Object.hasOwn(instances, timer.instanceId)
      ? instances[timer.instanceId]
      : undefined;
  if (instance === undefined) return;
  const compiled = compiledVersion(journeys, instance.journeyId, instance.version);
  if (compiled === undefined || instance.waiting?.timerId !== timer.timerId) return;
  const walk = walkOf(journeys, cause, undefined, draft, effects, parseIso(cause.at));
  const fired = { id: timer.instanceId, compiled, instance: instanceWith(instance, { waiting: null }) };
  const step = compiled.steps.get(instance.stepId);
  if (step?.type === 'waitForEvent') {
    resume(walk, fired, step.onTimeout, 'timed_out', `no "${step.event}" in time`);
    return;
  }
  resume(walk, fired, step?.type === 'wait' ? step.next : undefined, 'resumed', 'wait over');
}

function liveInstancesOf(state: CustomerState, journeyId: string): number {
  let live = 0;
  for (const id in state.instances) if (state.instances[id]?.journeyId === journeyId) live += 1;
  return live;
}

function mayEnter(state: CustomerState, compiled: CompiledJourney, now: number): boolean {
  const { journey } = compiled;
  if (state.instances !== undefined && liveInstancesOf(state, journey.id) >= journey.maxConcurrentInstances)
    return false;
  const progress = state.journeys[journey.id];
  if (progress === undefined) return true;
  switch (journey.reentry.mode) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'afterCooldown':
      return now - parseIso(progress.lastEnteredAt) >= compiled.cooldownMs;
  }
}

function enter(walk: Walk, compiled: CompiledJourney): void {
  const { journey } = compiled;
  const { cause, draft } = walk;
  const live: Live = {
    id: instanceIdFor(cause.customerId, journey.id, cause.messageId),
    compiled,
    instance: { journeyId: journey.id, version: journey.version, stepId: journey.start, enteredAt: cause.at },
  };
  if (compiled.goal !== undefined) live.instance.goalUntil = formatIso(walk.now + compiled.goal.withinMs);
  const progress = draft.journeys();
  const entries = (progress[journey.id]?.entries ?? 0) + 1;
  progress[journey.id] = { entries, lastEnteredAt: cause.at };
  walk.effects.metrics.push({ journeyId: journey.id, version: journey.version, name: 'entered' });
  explain(walk, live, undefined, `entered on "${cause.eventName}"`);
  run(walk, live, journey.start);
}

/**
 * Continues a waiting instance. The walk that follows reads the journeys and the resuming event
 * (none for a timer) like the walk at entry: a branch reads the profile and counters, and a
 * waitForEvent reached after a wait looks back on recent events.
 */
function resume(
  walk: Walk,
  live: Live,
  nextStepId: string | undefined,
  metric: 'resumed' | 'timed_out',
  why: string,
): void {
  const { instance } = live;
  if (instance.waiting !== undefined) walk.effects.timers.cancel.push(instance.waiting.timerId);
  const moving = instance.waiting === undefined ? instance : instanceWith(instance, { waiting: null });
  walk.effects.metrics.push({
    journeyId: instance.journeyId,
    version: instance.version,
    name: metric,
    stepId: instance.stepId,
  });
  explain(walk, live, instance.stepId, why);
  run(walk, liveWith(live, moving), nextStepId);
}

/**
 * Walks an instance from `stepId` until it must wait or ends. Actions, timers and metrics go to
 * the walk's effects; the state gets the instance where it stopped (or without it when it ended).
 */
function run(walk: Walk, start: Live, stepId: string | undefined): void {
  const { journey } = start.compiled;
  const { cause, effects, now } = walk;
  const { state } = walk.draft;
  let live = start;
  let current = stepId;
  const at = (instance: JourneyInstance, step: string) =>
    liveWith(live, instanceWith(instance, { stepId: step }));

  // A walk is what one record does to one instance: no step is taken twice in it, which keeps
  // an action to at most one per (instance, record, step) — the inputs of its id.
  const visited = new Set<string>();
  for (;;) {
    if (current === undefined) {
      finish(walk, live, 'completed');
      return;
    }
    if (visited.has(current)) {
      explain(walk, live, current, `stopped: step "${current}" reached again without a wait`);
      finish(walk, live, 'completed');
      return;
    }
    visited.add(current);
    const step = live.compiled.steps.get(current);
    if (step === undefined) {
      explain(walk, live, current, `step "${current}" does not exist`);
      finish(walk, live, 'completed');
      return;
    }
    live = at(live.instance, current);
    const { instance } = live;
    switch (step.type) {
      case 'action': {
        const metricBase = { journeyId: journey.id, version: journey.version, stepId: current };
        if (instance.holdout) {
          effects.metrics.push({ ...metricBase, name: 'suppressed', holdout: true });
          explain(
            walk,
            live,
            current,
            `action "${step.action.id}" not sent: customer is in the holdout group`,
          );
        } else {
          effects.actions.push({
            actionId: actionIdFor(cause.tenantId, cause.customerId, live.id, cause.messageId, current),
            tenantId: cause.tenantId,
            customerId: cause.customerId,
            journeyId: journey.id,
            journeyVersion: journey.version,
            action: step.action.id,
            channel: step.action.channel,
            ...(step.action.purpose === undefined ? {} : { purpose: step.action.purpose }),
            payload: step.action.payload,
            firedAt: cause.at,
            triggeredBy: { messageId: cause.messageId, event: cause.eventName },
            instanceId: live.id,
            stepId: current,
            priority: journey.priority,
            ...(instance.variant === undefined ? {} : { variant: instance.variant }),
            reason: `journey "${journey.name}" (v${journey.version}), step "${current}", on "${cause.eventName}"`,
          });
          effects.metrics.push({
            ...metricBase,
            name: 'action',
            ...(instance.variant ? { variant: instance.variant } : {}),
          });
        }
        current = step.next;
        break;
      }
      case 'wait':
        park(walk, live, waitUntil(step, now, state));
        return;
      case 'waitForEvent': {
        // An event seen just before the step was reached counts (not the one that caused this walk).
        const seen = (state.recentEvents ?? []).find(
          (recent) =>
            recent.event === step.event &&
            recent.messageId !== cause.messageId &&
            now - parseIso(recent.at) <= step.lookbackMs &&
            step.matches(contextOf(walk).withEvent({ event: recent.event, properties: recent.properties })),
        );
        if (seen === undefined) {
          park(walk, live, now + step.timeoutMs);
          return;
        }
        explain(walk, live, current, `"${step.event}" already seen at ${seen.at}`);
        current = step.next;
        break;
      }
      case 'branch': {
        const context = contextOf(walk);
        const taken = step.compiled.findIndex((predicate) => predicate(context));
        explain(
          walk,
          live,
          current,
          taken === -1 ? 'no branch matched: else' : `branch ${taken + 1} matched`,
        );
        current = taken === -1 ? step.else : step.branches[taken]?.next;
        break;
      }
      case 'split': {
        const variant = pickVariant(step.variants, splitBucket(cause.customerId, journey.id));
        if (variant !== undefined) live = liveWith(live, instanceWith(instance, { variant: variant.name }));
        explain(walk, live, current, `assigned to variant "${variant?.name}"`);
        current = variant?.next;
        break;
      }
      case 'holdout': {
        if (splitBucket(cause.customerId, journey.id, 'holdout') < step.percent * 100) {
          live = liveWith(live, instanceWith(instance, { holdout: true }));
          explain(walk, live, current, `in the ${step.percent}% holdout group: measured, sent nothing`);
        }
        current = step.next;
        break;
      }
      case 'exit':
        finish(walk, live, 'completed');
        return;
    }
  }
}

function waitUntil(step: Extract<Step, { type: 'wait' }>, now: number, state: CustomerState): number {
  const timeZone = resolveTimeZone(state.profile?.traits.timezone?.value);
  let due = now + (step.duration === undefined ? 0 : durationSeconds(step.duration) * 1_000);
  if (step.untilTimeOfDay !== undefined) due = nextLocalTime(due, step.untilTimeOfDay, timeZone);
  if (step.quietHours !== undefined) due = outsideQuietHours(due, step.quietHours, timeZone);
  return due;
}

/** Stops a walk at its current step until a timer fires. */
function park(walk: Walk, live: Live, dueAtMs: number): void {
  const { cause } = walk;
  const { instance } = live;
  const timerId = timerIdFor(live.id, instance.stepId, cause.messageId);
  const dueAt = formatIso(dueAtMs);
  walk.effects.timers.set.push({
    timerId,
    tenantId: cause.tenantId,
    customerId: cause.customerId,
    instanceId: live.id,
    dueAt,
  });
  walk.effects.metrics.push({
    journeyId: instance.journeyId,
    version: instance.version,
    name: 'waiting',
    stepId: instance.stepId,
  });
  walk.draft.instances()[live.id] = instanceWith(instance, { waiting: { timerId, dueAt } });
}

/** Ends an instance; a goal window still open keeps counting conversions for it. */
function finish(walk: Walk, live: Live, outcome: 'completed' | 'exited'): void {
  const { instance, compiled } = live;
  const { draft } = walk;
  draft.removeInstance(live.id);
  if (instance.waiting !== undefined) walk.effects.timers.cancel.push(instance.waiting.timerId);
  walk.effects.metrics.push({ journeyId: instance.journeyId, version: instance.version, name: outcome });
  const goalOpen =
    instance.goalUntil !== undefined &&
    instance.goalReachedAt === undefined &&
    parseIso(instance.goalUntil) > walk.now;
  if (!goalOpen || compiled.goal === undefined) return;
  const window = {
    instanceId: live.id,
    journeyId: instance.journeyId,
    version: instance.version,
    goalUntil: instance.goalUntil as string,
    ...(instance.variant === undefined ? {} : { variant: instance.variant }),
    ...(instance.holdout ? { holdout: true } : {}),
  };
  draft.state.attribution = [...(draft.state.attribution ?? []), window].slice(-ATTRIBUTION_WINDOWS_KEPT);
}

/**
 * Conversions: live instances and closed ones whose attribution window is still open. Most
 * events are no goal of any journey: then only windows past their end are dropped.
 */
function recordGoals(walk: Walk): void {
  const { journeys, cause, effects, now, draft } = walk;
  const { instances, attribution } = draft.state;
  if (instances === undefined && attribution === undefined) return;
  const isGoal = journeys.goalEvents.has(cause.eventName);
  const converts = (journeyId: string, version: number, until: string | undefined) => {
    const goal = compiledVersion(journeys, journeyId, version)?.goal;
    return (
      goal !== undefined &&
      goal.event === cause.eventName &&
      until !== undefined &&
      now <= parseIso(until) &&
      goal.matches(contextOf(walk))
    );
  };
  if (isGoal) {
    for (const instanceId in instances) {
      const instance = instances[instanceId] as JourneyInstance;
      if (
        instance.goalReachedAt !== undefined ||
        !converts(instance.journeyId, instance.version, instance.goalUntil)
      )
        continue;
      draft.instances()[instanceId] = instanceWith(instance, { goalReachedAt: cause.at });
      effects.metrics.push(
        goalMetric(instance.journeyId, instance.version, instance.variant, instance.holdout),
      );
    }
  }
  if (attribution === undefined) return;
  // A new array only once a window closes (expired or converted): most events close none.
  let open: typeof attribution | undefined;
  for (let i = 0; i < attribution.length; i += 1) {
    const window = attribution[i] as (typeof attribution)[number];
    let stays = !(now > parseIso(window.goalUntil));
    if (stays && isGoal && converts(window.journeyId, window.version, window.goalUntil)) {
      effects.metrics.push(goalMetric(window.journeyId, window.version, window.variant, window.holdout));
      stays = false;
    }
    if (stays) open?.push(window);
    else open ??= attribution.slice(0, i);
  }
  if (open !== undefined) draft.state.attribution = open;
}

function goalMetric(journeyId: string, version: number, variant?: string, holdout?: boolean): JourneyMetric {
  return {
    journeyId,
    version,
    name: 'goal',
    ...(variant === undefined ? {} : { variant }),
    ...(holdout ? { holdout: true } : {}),
  };
}
