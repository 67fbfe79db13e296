import { compilePath, type EvaluationContext, requiredEventValue } from './conditions.js';
import type { CompiledJourney } from './journey-runtime.js';

/**
 * The journeys one event name triggers, indexed by the value their entry condition requires of
 * the event (`properties.category in [shoes, bags]`, `channel = store`), as a rules engine's
 * first layer does: each such path is read once per event, and a journey whose required value is
 * not the event's is passed over without running its condition. Journeys requiring nothing of the
 * event are always candidates. The order stays the journeys' (priority first): the index only
 * skips, it never reorders, so what enters is what running every condition would let in.
 */
export class TriggeredJourneys {
  /** The journeys, highest priority first. */
  readonly journeys: readonly CompiledJourney[];
  /** One reader per distinct required path. */
  private readonly readers: readonly ((context: EvaluationContext) => unknown)[];
  /** Per journey, the index of its path in `readers`, or -1 when it requires nothing. */
  private readonly pathOf: Int32Array;
  /** Per journey, the values its path must hold. */
  private readonly admits: readonly (ReadonlySet<unknown> | undefined)[];

  constructor(journeys: readonly CompiledJourney[]) {
    this.journeys = journeys;
    const paths: string[] = [];
    this.pathOf = new Int32Array(journeys.length).fill(-1);
    const admits: (ReadonlySet<unknown> | undefined)[] = [];
    journeys.forEach((compiled, index) => {
      const entry = compiled.journey.entry;
      const required = requiredEventValue(entry.kind === 'event' ? entry.condition : undefined);
      admits.push(required === undefined ? undefined : new Set(required.values));
      if (required === undefined) return;
      const known = paths.indexOf(required.path);
      this.pathOf[index] = known === -1 ? paths.push(required.path) - 1 : known;
    });
    this.admits = admits;
    this.readers = paths.map(compilePath);
  }

  /**
   * The journeys this event may enter, in order: each is then checked against its whole entry
   * condition. `context` is what conditions read (its `event` is the event's view).
   */
  candidates(context: EvaluationContext): CompiledJourney[] {
    const { journeys, readers, pathOf, admits } = this;
    const values = readers.length === 0 ? undefined : readers.map((read) => read(context));
    const candidates: CompiledJourney[] = [];
    for (let i = 0; i < journeys.length; i += 1) {
      const path = pathOf[i] as number;
      if (path !== -1 && !(admits[i] as ReadonlySet<unknown>).has((values as unknown[])[path])) continue;
      candidates.push(journeys[i] as CompiledJourney);
    }
    return candidates;
  }
}
