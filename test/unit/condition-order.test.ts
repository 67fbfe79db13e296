import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCondition, type EvaluationContext } from '../../lambdas/core/conditions.js';
import { CounterRegistry } from '../../lambdas/core/counters.js';
import type { Comparison, Condition } from '../../schemas/condition.js';
import { durationSeconds } from '../../schemas/duration.js';

/**
 * The compiled condition runs the parts of an `all` or `any` cheapest first, not in the author's
 * order: these tests compare it with a plain reading of the tree, in order, part by part.
 */

const read = (context: EvaluationContext, path: string): unknown => {
  const [root = '', ...rest] = path.split('.');
  let current: unknown = root === 'traits' ? context.traits : context.event?.[root];
  for (const segment of rest) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
};

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function holds(comparison: Comparison, context: EvaluationContext): boolean {
  const value = read(context, comparison.path);
  switch (comparison.op) {
    case 'eq':
      return value === comparison.value;
    case 'neq':
      return value !== comparison.value;
    case 'gte':
      return finite(value) && value >= comparison.value;
    case 'lt':
      return finite(value) && value < comparison.value;
    case 'in':
      return comparison.value.includes(value as never);
    case 'exists':
      return value !== undefined && value !== null;
    default:
      throw new Error(`not generated: ${comparison.op}`);
  }
}

/** The tree read in the author's order, counts through the same registry (the same counter ids). */
function reference(condition: Condition, context: EvaluationContext, counters: CounterRegistry): boolean {
  if ('all' in condition) return condition.all.every((part) => reference(part, context, counters));
  if ('any' in condition) return condition.any.some((part) => reference(part, context, counters));
  if ('not' in condition) return !reference(condition.not, context, counters);
  if ('count' in condition) {
    const within = durationSeconds(condition.count.within);
    const id = counters.register(condition.count.event, condition.count.where ?? [], within, () => true);
    const count = context.count(id, within);
    return condition.op === 'gte' ? count >= condition.value : count === condition.value;
  }
  return holds(condition, context);
}

const value = fc.oneof(
  fc.constantFrom('shoes', 'bags', 'gold', 'web'),
  fc.integer({ min: 0, max: 4 }),
  fc.boolean(),
);
const path = fc.constantFrom(
  'properties.category',
  'properties.price',
  'channel',
  'context.locale',
  'traits.tier',
  'traits.age',
);
const comparison: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ path, op: fc.constantFrom('eq' as const, 'neq' as const), value }),
  fc.record({
    path,
    op: fc.constantFrom('gte' as const, 'lt' as const),
    value: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({ path, op: fc.constant('in' as const), value: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ path, op: fc.constant('exists' as const) }),
);
const count: fc.Arbitrary<Condition> = fc.record({
  count: fc.record({
    event: fc.constantFrom('Product Viewed', 'Order Completed'),
    within: fc.constantFrom('1d', '7d'),
  }),
  op: fc.constantFrom('gte' as const, 'eq' as const),
  value: fc.integer({ min: 0, max: 3 }),
});
const { tree } = fc.letrec<{ tree: Condition }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    count,
    fc.record({ all: fc.array(tie('tree'), { maxLength: 5 }) }),
    fc.record({ any: fc.array(tie('tree'), { maxLength: 5 }) }),
    fc.record({ not: tie('tree') }),
  ),
}));
const record = fc.dictionary(fc.constantFrom('category', 'price', 'tier', 'age', 'locale'), value);
const context = fc.record({
  properties: record,
  traits: record,
  channel: value,
  context: record,
  counts: fc.dictionary(fc.string({ minLength: 10, maxLength: 10 }), fc.integer({ min: 0, max: 3 })),
  defaultCount: fc.integer({ min: 0, max: 3 }),
});

describe('compiled conditions, cheapest parts first', () => {
  it('answer as the tree read in order does, for any tree and any customer', () => {
    fc.assert(
      fc.property(tree, fc.array(context, { minLength: 1, maxLength: 5 }), (condition, contexts) => {
        const counters = new CounterRegistry();
        const compiled = compileCondition(condition, counters);
        for (const { properties, traits, channel, context: eventContext, counts, defaultCount } of contexts) {
          const evaluation: EvaluationContext = {
            event: { event: 'Product Viewed', properties, channel, context: eventContext },
            traits,
            now: 0,
            count: (id) => counts[id] ?? defaultCount,
          };
          expect(compiled(evaluation)).toBe(reference(condition, evaluation, counters));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('turns an event away on its own properties before reading traits or counts', () => {
    const counted: string[] = [];
    let traitsRead = 0;
    const compiled = compileCondition(
      {
        all: [
          { count: { event: 'Product Viewed', within: '7d' }, op: 'gte', value: 1 },
          { path: 'traits.tier', op: 'eq', value: 'gold' },
          { path: 'properties.category', op: 'eq', value: 'shoes' },
        ],
      },
      new CounterRegistry(),
    );
    const evaluation: EvaluationContext = {
      event: { event: 'Product Viewed', properties: { category: 'bags' } },
      get traits() {
        traitsRead += 1;
        return { tier: 'gold' };
      },
      now: 0,
      count: (id) => {
        counted.push(id);
        return 5;
      },
    };
    expect(compiled(evaluation)).toBe(false);
    expect(counted).toEqual([]);
    expect(traitsRead).toBe(0);
  });
});
