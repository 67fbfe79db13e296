import type { CustomerState, JourneyInstance } from '../../schemas/customer-state.js';
import type { CounterBuckets } from './counters.js';

/**
 * The engine's private working copy of a customer's state while it applies records: one copy of
 * the state's top level, and its maps of journey progress and instances copied the first time
 * they change, then changed in place. Rebuilding the state and its maps at every step
 * cost more than the steps themselves. Whatever the draft has not copied is the caller's and
 * stays untouched; values in the maps (an instance, a counter's buckets) are replaced, never
 * changed, so they may be shared with the caller's state.
 *
 * The working copy has every field of the state, in one order, absent ones undefined: one shape
 * for every customer, so that reading and writing its fields is fast (states built by spreads
 * have as many shapes as customers, and each access to them, each copy of them, is slow).
 * `result()` gives the state back without the absent fields.
 */
export class StateDraft {
  state: CustomerState;
  /** Fields of the stored state that the schema does not know (a newer writer's): kept as they are. */
  private extras: Record<string, unknown> | undefined;
  private ownJourneys = false;
  private ownInstances = false;
  private ownCounters = false;

  constructor(stored: CustomerState) {
    this.state = workingCopy(stored);
    this.extras = extrasOf(stored);
  }

  /** Takes a state a pure function built from this one (a link, a merge, a consent change). */
  replace(next: CustomerState): void {
    if (next === this.state) return;
    this.state = workingCopy(next);
    this.extras = extrasOf(next);
    this.disown();
  }

  /** The state as it is now, kept as it is whatever the draft does next. */
  snapshot(): CustomerState {
    this.disown();
    return this.result();
  }

  /** The state to hand back: a new object, without the fields that are absent. */
  result(): CustomerState {
    const w = this.state;
    const state: CustomerState = {
      tenantId: w.tenantId,
      customerId: w.customerId,
      version: w.version,
      recentMessageIds: w.recentMessageIds,
      eventCount: w.eventCount,
      firstSeenAt: w.firstSeenAt,
      lastSeenAt: w.lastSeenAt,
      journeys: w.journeys,
    };
    if (w.appliedSequence !== undefined) state.appliedSequence = w.appliedSequence;
    if (w.profile !== undefined) state.profile = w.profile;
    if (w.channels !== undefined) state.channels = w.channels;
    if (w.lastStoreVisit !== undefined) state.lastStoreVisit = w.lastStoreVisit;
    if (w.mergedInto !== undefined) state.mergedInto = w.mergedInto;
    if (w.mergedFrom !== undefined) state.mergedFrom = w.mergedFrom;
    if (w.instances !== undefined) state.instances = w.instances;
    if (w.attribution !== undefined) state.attribution = w.attribution;
    if (w.counters !== undefined) state.counters = w.counters;
    if (w.recentEvents !== undefined) state.recentEvents = w.recentEvents;
    if (w.consent !== undefined) state.consent = w.consent;
    if (w.droppedWithoutConsent !== undefined) state.droppedWithoutConsent = w.droppedWithoutConsent;
    if (this.extras !== undefined) Object.assign(state, this.extras);
    return state;
  }

  journeys(): CustomerState['journeys'] {
    if (!this.ownJourneys) {
      this.state.journeys = copyOf(this.state.journeys);
      this.ownJourneys = true;
    }
    return this.state.journeys;
  }

  instances(): Record<string, JourneyInstance> {
    if (!this.ownInstances) {
      this.state.instances = copyOf(this.state.instances);
      this.ownInstances = true;
    }
    return this.state.instances as Record<string, JourneyInstance>;
  }

  /** Ends an instance; the map goes when its last instance does (no empty map is stored). */
  removeInstance(instanceId: string): void {
    const instances = this.instances();
    delete instances[instanceId];
    for (const _ in instances) return;
    this.state.instances = undefined;
    this.ownInstances = false;
  }

  /** Sets the counters map to one built for this draft. */
  setCounters(counters: Record<string, CounterBuckets>): void {
    this.state.counters = counters;
    this.ownCounters = true;
  }

  /** The counters map, to change counters it already holds (keys added would change its order). */
  counters(): Record<string, CounterBuckets> {
    if (!this.ownCounters) {
      this.state.counters = copyOf(this.state.counters);
      this.ownCounters = true;
    }
    return this.state.counters as Record<string, CounterBuckets>;
  }

  private disown(): void {
    this.ownJourneys = false;
    this.ownInstances = false;
    this.ownCounters = false;
  }
}

/**
 * A copy of a map keyed by ids (counters, instances, journey progress). A spread clones the
 * map's layout in native code; a loop of keyed stores grew the object one property at a time
 * (the engine's instructions per record fell by about 3 % with the spread).
 */
function copyOf<V>(map: Readonly<Record<string, V>> | undefined): Record<string, V> {
  return { ...map };
}

const workingCopy = (s: CustomerState): CustomerState => ({
  tenantId: s.tenantId,
  customerId: s.customerId,
  version: s.version,
  appliedSequence: s.appliedSequence,
  recentMessageIds: s.recentMessageIds,
  eventCount: s.eventCount,
  firstSeenAt: s.firstSeenAt,
  lastSeenAt: s.lastSeenAt,
  journeys: s.journeys,
  profile: s.profile,
  channels: s.channels,
  lastStoreVisit: s.lastStoreVisit,
  mergedInto: s.mergedInto,
  mergedFrom: s.mergedFrom,
  instances: s.instances,
  attribution: s.attribution,
  counters: s.counters,
  recentEvents: s.recentEvents,
  consent: s.consent,
  droppedWithoutConsent: s.droppedWithoutConsent,
});

const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(workingCopy({} as CustomerState)));

function extrasOf(stored: CustomerState): Record<string, unknown> | undefined {
  let extras: Record<string, unknown> | undefined;
  for (const key in stored) {
    if (KNOWN_FIELDS.has(key) || !Object.hasOwn(stored, key)) continue;
    extras ??= {};
    extras[key] = (stored as Record<string, unknown>)[key];
  }
  return extras;
}
