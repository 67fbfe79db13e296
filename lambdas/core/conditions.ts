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

/** Where a path starts: the ones nearly every path starts from, read by name, then the rest. */
enum Root {
  Traits,
  Properties,
  Context,
  Event,
}

/**
 * A compiled path: its root, its next segment, and any deeper ones. A plain object of one shape,
 * read by one function (`readPath`) that the engine inlines into every comparison: a reader
 * closure per path would cost a call that cannot be inlined for every condition of every event.
 */
interface Path {
  root: Root;
  /** The event's field when `root` is Event (`channel`, `event`, `userId`…), else the segment after the root. */
  key: string | undefined;
  /** Segments after `key`. */
  deeper: readonly string[];
  /** Whether `key` is a name objects or arrays inherit (`constructor`, `length`…): then only an own property counts. */
  inherited: boolean;
}

const INHERITED = (name: string) => name in Object.prototype || name in Array.prototype;

function parsePath(path: string): Path {
  const [root = '', ...rest] = path.split('.');
  if (root === 'traits' || root === 'properties' || root === 'context') {
    const [key, ...deeper] = rest;
    const kind = root === 'traits' ? Root.Traits : root === 'properties' ? Root.Properties : Root.Context;
    return { root: kind, key, deeper, inherited: key !== undefined && INHERITED(key) };
  }
  return { root: Root.Event, key: root, deeper: rest, inherited: INHERITED(root) };
}

/** Whether a path reads the customer's traits rather than the event. */
const readsTraits = (path: string) => parsePath(path).root === Root.Traits;

/** Own properties only: `constructor` or `toString` must not match through the prototype. */
function ownProperty(current: unknown, segment: string): unknown {
  if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
  return (current as Record<string, unknown>)[segment];
}

function readPath(context: EvaluationContext, path: Path): unknown {
  let holder: unknown;
  switch (path.root) {
    case Root.Traits:
      holder = context.traits;
      break;
    case Root.Properties:
      holder = context.event?.properties;
      break;
    case Root.Context:
      holder = context.event?.context;
      break;
    default:
      holder = context.event;
  }
  const { key } = path;
  if (key === undefined) return holder;
  let current: unknown;
  if (path.inherited) current = ownProperty(holder, key);
  // Events and profiles are JSON: objects and arrays. A name neither inherits is found on the
  // object itself or nowhere, without asking whether it is its own.
  else
    current =
      holder !== null && typeof holder === 'object' ? (holder as Record<string, unknown>)[key] : undefined;
  const { deeper } = path;
  for (let i = 0; i < deeper.length && current !== undefined; i += 1)
    current = ownProperty(current, deeper[i] as string);
  return current;
}

/** A reader for a dotted path (`channel`, `properties.price`, `traits.tier`, `context.page.url`). */
export function compilePath(path: string): (context: EvaluationContext) => unknown {
  const parsed = parsePath(path);
  return (context) => readPath(context, parsed);
}

/**
 * A finite number: anything else (a numeric string, NaN) never compares. `x - x` is 0 for finite
 * numbers only, and cheaper than a call to `Number.isFinite` in conditions run for every event.
 */
const isNumber = (value: unknown): value is number => typeof value === 'number' && value - value === 0;

/** Up to this many values, `in` scans a list: for a handful, cheaper than hashing the value for a Set. */
const IN_LIST_MAX = 16;

function compileIn(path: Path, values: readonly unknown[]): Predicate {
  if (values.length > IN_LIST_MAX) {
    const allowed = new Set<unknown>(values);
    return (context) => allowed.has(readPath(context, path));
  }
  const list = [...values];
  const n = list.length;
  return (context) => {
    const value = readPath(context, path);
    // `===` as the Set's SameValueZero, but for NaN, which JSON values cannot be.
    for (let i = 0; i < n; i += 1) if (list[i] === value) return true;
    return false;
  };
}

function compileComparison(condition: Comparison): Predicate {
  const path = parsePath(condition.path);
  switch (condition.op) {
    // The operand read once here, and no closure per evaluation: these run for every event.
    case 'eq': {
      const operand = condition.value;
      return (context) => readPath(context, path) === operand;
    }
    case 'neq': {
      const operand = condition.value;
      return (context) => readPath(context, path) !== operand;
    }
    case 'gt': {
      const bound = condition.value;
      return (context) => {
        const value = readPath(context, path);
        return isNumber(value) && value > bound;
      };
    }
    case 'gte': {
      const bound = condition.value;
      return (context) => {
        const value = readPath(context, path);
        return isNumber(value) && value >= bound;
      };
    }
    case 'lt': {
      const bound = condition.value;
      return (context) => {
        const value = readPath(context, path);
        return isNumber(value) && value < bound;
      };
    }
    case 'lte': {
      const bound = condition.value;
      return (context) => {
        const value = readPath(context, path);
        return isNumber(value) && value <= bound;
      };
    }
    case 'in':
      return compileIn(path, condition.value);
    case 'contains': {
      const operand = condition.value;
      return (context) => {
        const value = readPath(context, path);
        if (typeof value === 'string') return value.includes(operand);
        return Array.isArray(value) && value.includes(operand);
      };
    }
    case 'startsWith': {
      const prefix = condition.value;
      return (context) => {
        const value = readPath(context, path);
        return typeof value === 'string' && value.startsWith(prefix);
      };
    }
    case 'exists':
      return (context) => {
        const value = readPath(context, path);
        return value !== undefined && value !== null;
      };
    case 'notExists':
      return (context) => {
        const value = readPath(context, path);
        return value === undefined || value === null;
      };
    case 'within': {
      const windowMs = durationSeconds(condition.duration) * 1_000;
      return (context) => {
        const value = readPath(context, path);
        const at = typeof value === 'string' ? parseIso(value) : Number.NaN;
        return Number.isFinite(at) && at <= context.now && context.now - at <= windowMs;
      };
    }
  }
}

/**
 * What evaluating a condition costs, roughly, in reads of the event: a comparison on the event
 * is one, on a trait two (the first builds the traits' values), a time window three (it parses
 * the time), a behavioural count ten (it looks the counter up and sums its buckets); a group
 * costs what all its parts do.
 */
function costOf(condition: Condition): number {
  if ('all' in condition) return condition.all.reduce((sum, part) => sum + costOf(part), 0);
  if ('any' in condition) return condition.any.reduce((sum, part) => sum + costOf(part), 0);
  if ('not' in condition) return costOf(condition.not);
  if ('count' in condition) return 10;
  if (condition.op === 'within') return 3;
  return readsTraits(condition.path) ? 2 : 1;
}

/**
 * The parts of an `all` or `any`, cheapest first (in the author's order among equals), as a
 * rules engine orders its tests: the answer is the same in any order (a condition reads and
 * never changes, and never throws), and an `all` turned down by the event's own properties no
 * longer pays for the customer's traits and counts before it.
 */
function cheapestFirst(parts: readonly Condition[]): Condition[] {
  return parts
    .map((part, index) => ({ part, index, cost: costOf(part) }))
    .sort((a, b) => a.cost - b.cost || a.index - b.index)
    .map(({ part }) => part);
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
    const parts = cheapestFirst(condition.all).map((part) => compileCondition(part, counters));
    const n = parts.length;
    return (context) => {
      for (let i = 0; i < n; i += 1) if (!(parts[i] as Predicate)(context)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const parts = cheapestFirst(condition.any).map((part) => compileCondition(part, counters));
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
    if (!('op' in part) || !('path' in part) || readsTraits(part.path)) continue;
    if (part.op === 'eq') return { path: part.path, values: [part.value] };
    if (part.op === 'in') return { path: part.path, values: part.value };
  }
  return undefined;
}
