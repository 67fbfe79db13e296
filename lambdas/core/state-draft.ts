import type { CustomerState, JourneyInstance } from '../../schemas/customer-state.js';
import type { CounterBuckets } from './counters.js';

/**
 * The engine's private working copy of a customer's state while it applies records: one copy of
 * the state's top level, and each of its maps (journey progress, instances, counters) copied the
 * first time it changes, then changed in place. Rebuilding the state and its maps at every step
 * cost more than the steps themselves. Whatever the draft has not copied is the caller's and
 * stays untouched; values in the maps (an instance, a counter's buckets) are replaced, never
 * changed, so they may be shared with the caller's state.
 */
export class StateDraft {
  state: CustomerState;
  private ownJourneys = false;
  private ownInstances = false;
  private ownCounters = false;

  constructor(stored: CustomerState) {
    this.state = { ...stored };
  }

  /** Takes a state a pure function built from this one (a link, a merge, a consent change). */
  replace(next: CustomerState): void {
    if (next === this.state) return;
    this.state = next;
    this.disown();
  }

  /** The state as it is now, kept as it is whatever the draft does next. */
  snapshot(): CustomerState {
    this.disown();
    return { ...this.state };
  }

  journeys(): CustomerState['journeys'] {
    if (!this.ownJourneys) {
      this.state.journeys = { ...this.state.journeys };
      this.ownJourneys = true;
    }
    return this.state.journeys;
  }

  instances(): Record<string, JourneyInstance> {
    if (!this.ownInstances) {
      this.state.instances = { ...this.state.instances };
      this.ownInstances = true;
    }
    return this.state.instances as Record<string, JourneyInstance>;
  }

  /** Ends an instance; the map goes when its last instance does (no empty map is stored). */
  removeInstance(instanceId: string): void {
    const instances = this.instances();
    delete instances[instanceId];
    for (const _ in instances) return;
    delete this.state.instances;
    this.ownInstances = false;
  }

  counters(): Record<string, CounterBuckets> {
    if (!this.ownCounters) {
      this.state.counters = { ...this.state.counters };
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
