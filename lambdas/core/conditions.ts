import type { PropertyCondition } from '../../schemas/journey.js';

/** A condition compiled once per journey version into a closure, then run per event. */
export type EventPredicate = (event: Readonly<Record<string, unknown>>) => boolean;

function compilePath(path: string): (value: unknown) => unknown {
  const segments = path.split('.');
  return (root) => {
    let current: unknown = root;
    for (const segment of segments) {
      // Own properties only: `constructor` or `toString` must not match through the prototype.
      if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment))
        return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}

function compileOne(condition: PropertyCondition): EventPredicate {
  const read = compilePath(condition.path);
  switch (condition.op) {
    case 'eq':
      return (event) => read(event) === condition.value;
    case 'neq':
      return (event) => read(event) !== condition.value;
    case 'gt':
      return (event) => numberAt(read(event), (n) => n > condition.value);
    case 'gte':
      return (event) => numberAt(read(event), (n) => n >= condition.value);
    case 'lt':
      return (event) => numberAt(read(event), (n) => n < condition.value);
    case 'lte':
      return (event) => numberAt(read(event), (n) => n <= condition.value);
    case 'in': {
      const allowed = new Set<unknown>(condition.value);
      return (event) => allowed.has(read(event));
    }
    case 'contains':
      return (event) => {
        const value = read(event);
        if (typeof value === 'string') return value.includes(condition.value);
        return Array.isArray(value) && value.includes(condition.value);
      };
    case 'startsWith':
      return (event) => {
        const value = read(event);
        return typeof value === 'string' && value.startsWith(condition.value);
      };
    case 'exists':
      return (event) => {
        const value = read(event);
        return value !== undefined && value !== null;
      };
  }
}

/** Numbers compare as numbers; anything else (a numeric string included) never matches. */
function numberAt(value: unknown, test: (n: number) => boolean): boolean {
  return typeof value === 'number' && Number.isFinite(value) && test(value);
}

/**
 * Compiles the conditions of a trigger: the predicate holds when every condition does.
 *
 * @example
 * const isBigCart = compileConditions([{ path: 'properties.total', op: 'gte', value: 100 }]);
 * isBigCart({ properties: { total: 120 } }); // true
 */
export function compileConditions(conditions: readonly PropertyCondition[]): EventPredicate {
  const predicates = conditions.map(compileOne);
  if (predicates.length === 0) return () => true;
  return (event) => predicates.every((predicate) => predicate(event));
}
