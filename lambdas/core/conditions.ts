import type { Comparison, Condition } from '../../schemas/condition.js';
import { durationSeconds } from '../../schemas/duration.js';
import type { CounterRegistry } from './counters.js';
import { parseIso } from './iso-time.js';

/**
 * What a condition is evaluated against: the current event (if any), the customer's trait
 * values, the behavioural counters, and the record's time. `event` holds the call as sent
 * with `event` set to the name journeys see.
 */
export interface EvaluationContext {
  event: Readonly<Record<string, unknown>> | undefined;
  traits: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds of the record being applied: the engine's only clock. */
  now: number;
  /** How many events a counter saw within the last `withinSeconds`. */
  count(counterId: string, withinSeconds: number): number;
}

/** A condition compiled once per journey version into a closure, then run per event. */
export type Predicate = (context: EvaluationContext) => boolean;

/** Own properties only: `constructor` or `toString` must not match through the prototype. */
function ownProperty(current: unknown, segment: string): unknown {
  if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
  return (current as Record<string, unknown>)[segment];
}

/**
 * A reader for a dotted path. Paths of one or two segments (`channel`, `properties.price`,
 * `traits.tier`), nearly all of them, get a reader without a loop: it runs for every condition
 * of every event.
 */
function compilePath(path: string): (context: EvaluationContext) => unknown {
  const [root = '', ...rest] = path.split('.');
  const [second, ...deeper] = rest;
  if (root === 'traits') {
    if (second === undefined) return (context) => context.traits;
    if (deeper.length === 0) return (context) => ownProperty(context.traits, second);
  } else {
    if (second === undefined) return (context) => context.event?.[root];
    // The roots most paths start from, read by name: a computed read shared by every path is slower.
    if (deeper.length === 0 && root === 'properties')
      return (context) => ownProperty(context.event?.properties, second);
    if (deeper.length === 0 && root === 'context')
      return (context) => ownProperty(context.event?.context, second);
    if (deeper.length === 0) return (context) => ownProperty(context.event?.[root], second);
  }
  const readRoot =
    root === 'traits'
      ? (context: EvaluationContext) => context.traits
      : (context: EvaluationContext) => context.event?.[root];
  return (context) => {
    let current: unknown = readRoot(context);
    for (const segment of rest) {
      current = ownProperty(current, segment);
      if (current === undefined) return undefined;
    }
    return current;
  };
}

/** Numbers compare as numbers; anything else (a numeric string included) never matches. */
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function compileComparison(condition: Comparison): Predicate {
  const read = compilePath(condition.path);
  switch (condition.op) {
    case 'eq':
      return (context) => read(context) === condition.value;
    case 'neq':
      return (context) => read(context) !== condition.value;
    // The bound read once here, and no closure per evaluation: these run for every event.
    case 'gt': {
      const bound = condition.value;
      return (context) => {
        const value = read(context);
        return isNumber(value) && value > bound;
      };
    }
    case 'gte': {
      const bound = condition.value;
      return (context) => {
        const value = read(context);
        return isNumber(value) && value >= bound;
      };
    }
    case 'lt': {
      const bound = condition.value;
      return (context) => {
        const value = read(context);
        return isNumber(value) && value < bound;
      };
    }
    case 'lte': {
      const bound = condition.value;
      return (context) => {
        const value = read(context);
        return isNumber(value) && value <= bound;
      };
    }
    case 'in': {
      const allowed = new Set<unknown>(condition.value);
      return (context) => allowed.has(read(context));
    }
    case 'contains':
      return (context) => {
        const value = read(context);
        if (typeof value === 'string') return value.includes(condition.value);
        return Array.isArray(value) && value.includes(condition.value);
      };
    case 'startsWith':
      return (context) => {
        const value = read(context);
        return typeof value === 'string' && value.startsWith(condition.value);
      };
    case 'exists':
      return (context) => {
        const value = read(context);
        return value !== undefined && value !== null;
      };
    case 'notExists':
      return (context) => {
        const value = read(context);
        return value === undefined || value === null;
      };
    case 'within': {
      const windowMs = durationSeconds(condition.duration) * 1_000;
      return (context) => {
        const value = read(context);
        const at = typeof value === 'string' ? parseIso(value) : Number.NaN;
        return Number.isFinite(at) && at <= context.now && context.now - at <= windowMs;
      };
    }
  }
}

/** What a counter's filter reads besides the event: nothing (they compare the event only). */
const NO_TRAITS: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_COUNT = () => 0;

const COMPARE = {
  eq: (a: number, b: number) => a === b,
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
} as const;

/**
 * Compiles a condition tree. Behavioural counts register the counter they need in `counters`,
 * so the engine keeps exactly the counters that published journeys ask about.
 *
 * @example
 * const loyal = compileCondition({ path: 'traits.tier', op: 'eq', value: 'gold' }, counters);
 * loyal({ event: undefined, traits: { tier: 'gold' }, now, count }); // true
 */
export function compileCondition(condition: Condition, counters: CounterRegistry): Predicate {
  if ('all' in condition) {
    const parts = condition.all.map((part) => compileCondition(part, counters));
    return (context) => {
      for (const part of parts) if (!part(context)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map((part) => compileCondition(part, counters));
    return (context) => {
      for (const part of parts) if (part(context)) return true;
      return false;
    };
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not, counters);
    return (context) => !inner(context);
  }
  if ('count' in condition) {
    const withinSeconds = durationSeconds(condition.count.within);
    const where = (condition.count.where ?? []).map(compileComparison);
    const counterId = counters.register(
      condition.count.event,
      condition.count.where ?? [],
      withinSeconds,
      (event) => {
        // One context for all the filters of an event: each counted event runs them.
        const context: EvaluationContext = { event, traits: NO_TRAITS, now: 0, count: NO_COUNT };
        for (const part of where) if (!part(context)) return false;
        return true;
      },
    );
    const compare = COMPARE[condition.op];
    return (context) => compare(context.count(counterId, withinSeconds), condition.value);
  }
  return compileComparison(condition);
}
