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
export function compilePath(path: string): (context: EvaluationContext) => unknown {
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

/**
 * A finite number: anything else (a numeric string, NaN) never compares. `x - x` is 0 for finite
 * numbers only, and cheaper than a call to `Number.isFinite` in conditions run for every event.
 */
const isNumber = (value: unknown): value is number => typeof value === 'number' && value - value === 0;

/** Up to this many values, `in` scans a list: for a handful, cheaper than hashing the value for a Set. */
const IN_LIST_MAX = 16;

function compileIn(read: (context: EvaluationContext) => unknown, values: readonly unknown[]): Predicate {
  if (values.length > IN_LIST_MAX) {
    const allowed = new Set<unknown>(values);
    return (context) => allowed.has(read(context));
  }
  const list = [...values];
  const n = list.length;
  return (context) => {
    const value = read(context);
    // `===` as the Set's SameValueZero, but for NaN, which JSON values cannot be.
    for (let i = 0; i < n; i += 1) if (list[i] === value) return true;
    return false;
  };
}

function compileComparison(condition: Comparison): Predicate {
  const read = compilePath(condition.path);
  switch (condition.op) {
    // The operand read once here, and no closure per evaluation: these run for every event.
    case 'eq': {
      const operand = condition.value;
      return (context) => read(context) === operand;
    }
    case 'neq': {
      const operand = condition.value;
      return (context) => read(context) !== operand;
    }
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
    case 'in':
      return compileIn(read, condition.value);
    case 'contains': {
      const operand = condition.value;
      return (context) => {
        const value = read(context);
        if (typeof value === 'string') return value.includes(operand);
        return Array.isArray(value) && value.includes(operand);
      };
    }
    case 'startsWith': {
      const prefix = condition.value;
      return (context) => {
        const value = read(context);
        return typeof value === 'string' && value.startsWith(prefix);
      };
    }
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
    const n = parts.length;
    return (context) => {
      for (let i = 0; i < n; i += 1) if (!(parts[i] as Predicate)(context)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map((part) => compileCondition(part, counters));
    const n = parts.length;
    return (context) => {
      for (let i = 0; i < n; i += 1) if ((parts[i] as Predicate)(context)) return true;
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
    const bound = condition.value;
    // One closure per comparison: no second call per evaluation.
    switch (condition.op) {
      case 'eq':
        return (context) => context.count(counterId, withinSeconds) === bound;
      case 'gt':
        return (context) => context.count(counterId, withinSeconds) > bound;
      case 'gte':
        return (context) => context.count(counterId, withinSeconds) >= bound;
      case 'lt':
        return (context) => context.count(counterId, withinSeconds) < bound;
      case 'lte':
        return (context) => context.count(counterId, withinSeconds) <= bound;
    }
  }
  return compileComparison(condition);
}

/**
 * A value an event must have for the condition to hold: a top-level conjunct `eq` or `in` on a
 * path of the event (not of the profile), as `{ path, values }`. The engine indexes entries by it
 * (lambdas/core/entry-index.ts): an event whose value is not among them skips the condition.
 */
export function requiredEventValue(
  condition: Condition | undefined,
): { path: string; values: readonly unknown[] } | undefined {
  if (condition === undefined) return undefined;
  const conjuncts = 'all' in condition ? condition.all : [condition];
  for (const part of conjuncts) {
    if (!('op' in part) || !('path' in part) || part.path.startsWith('traits')) continue;
    if (part.op === 'eq') return { path: part.path, values: [part.value] };
    if (part.op === 'in') return { path: part.path, values: part.value };
  }
  return undefined;
}
