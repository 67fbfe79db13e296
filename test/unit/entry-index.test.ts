import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EvaluationContext, requiredEventValue } from '../../lambdas/core/conditions.js';
import type { Condition } from '../../schemas/condition.js';
import { Journey } from '../../schemas/journey.js';
import { compileConsentingJourneys } from './support/consenting.js';

const journeyEnteredWhen = (id: string, priority: number, condition: Condition | undefined) =>
  Journey.parse({
    id,
    name: id,
    status: 'published',
    priority,
    entry: { kind: 'event', event: 'Product Viewed', ...(condition === undefined ? {} : { condition }) },
    start: 'send',
    steps: { send: { type: 'action', action: { id: `${id}-send` } } },
  });

const contextOf = (
  event: Record<string, unknown>,
  traits: Record<string, unknown> = {},
): EvaluationContext => ({
  event: { event: 'Product Viewed', ...event },
  traits,
  now: 0,
  count: () => 0,
});

describe('requiredEventValue', () => {
  it('finds the first top-level eq or in on a path of the event', () => {
    expect(
      requiredEventValue({
        all: [
          { path: 'properties.price', op: 'gte', value: 10 },
          { path: 'properties.category', op: 'in', value: ['shoes', 'bags'] },
          { path: 'channel', op: 'eq', value: 'store' },
        ],
      }),
    ).toEqual({ path: 'properties.category', values: ['shoes', 'bags'] });
    expect(requiredEventValue({ path: 'channel', op: 'eq', value: 'store' })).toEqual({
      path: 'channel',
      values: ['store'],
    });
  });

  it('requires nothing of the event for a trait, a disjunction, a negation or a count', () => {
    expect(requiredEventValue({ path: 'traits.tier', op: 'eq', value: 'gold' })).toBeUndefined();
    expect(
      requiredEventValue({
        any: [
          { path: 'channel', op: 'eq', value: 'store' },
          { path: 'channel', op: 'eq', value: 'web' },
        ],
      }),
    ).toBeUndefined();
    expect(requiredEventValue({ not: { path: 'channel', op: 'eq', value: 'store' } })).toBeUndefined();
    expect(
      requiredEventValue({ count: { event: 'Order Completed', within: '30d' }, op: 'eq', value: 0 }),
    ).toBeUndefined();
    expect(requiredEventValue({ path: 'channel', op: 'neq', value: 'store' })).toBeUndefined();
    expect(requiredEventValue(undefined)).toBeUndefined();
  });
});

const CATEGORIES = ['shoes', 'bags', 'coats'];
const scalar = fc.oneof(fc.constantFrom(...CATEGORIES), fc.integer({ min: 0, max: 3 }), fc.boolean());
const path = fc.constantFrom(
  'properties.category',
  'properties.size',
  'channel',
  'context.locale',
  'traits.tier',
);
const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ path, op: fc.constantFrom('eq' as const, 'neq' as const), value: scalar }),
  fc.record({
    path,
    op: fc.constant('in' as const),
    value: fc.array(scalar, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ path, op: fc.constant('exists' as const) }),
);
const condition: fc.Arbitrary<Condition | undefined> = fc.option(
  fc.oneof(
    leaf,
    fc.record({ all: fc.array(leaf, { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(leaf, { minLength: 1, maxLength: 2 }) }),
    fc.record({ not: leaf }),
  ),
  { nil: undefined },
);
const value = fc.option(scalar, { nil: undefined });
const event = fc.record({
  properties: fc.record({ category: value, size: value }),
  channel: value,
  context: fc.record({ locale: value }),
});

describe('the entry index', () => {
  it('lets in exactly the journeys whose whole entry condition holds, in priority order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(condition, fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 12 }),
        fc.array(event, { minLength: 1, maxLength: 10 }),
        fc.constantFrom('gold', 'silver', undefined),
        (definitions, events, tier) => {
          const published = compileConsentingJourneys(
            definitions.map(([entry, priority], i) => journeyEnteredWhen(`j${i}`, priority, entry)),
          );
          const all = published.byTriggerEvent.get('Product Viewed') ?? [];
          const triggered = published.entriesByEvent.get('Product Viewed');
          for (const sent of events) {
            const context = contextOf(sent, tier === undefined ? {} : { tier });
            const expected = all.filter((compiled) => compiled.entry(context)).map((c) => c.journey.id);
            const indexed = (triggered?.candidates(context) ?? [])
              .filter((compiled) => compiled.entry(context))
              .map((c) => c.journey.id);
            expect(indexed).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('offers, in priority order, only the journeys whose required value the event holds, and always those requiring none', () => {
    const published = compileConsentingJourneys([
      journeyEnteredWhen('shoes', 2, { path: 'properties.category', op: 'eq', value: 'shoes' }),
      journeyEnteredWhen('bags-in-store', 1, {
        all: [
          { path: 'channel', op: 'eq', value: 'store' },
          { path: 'properties.category', op: 'in', value: ['bags'] },
        ],
      }),
      journeyEnteredWhen('anyone', 0, undefined),
    ]);
    const triggered = published.entriesByEvent.get('Product Viewed');
    const ids = (event: Record<string, unknown>) =>
      (triggered?.candidates(contextOf(event)) ?? []).map((c) => c.journey.id);
    expect(ids({ properties: { category: 'shoes' } })).toEqual(['shoes', 'anyone']);
    expect(ids({ properties: { category: 'bags' }, channel: 'store' })).toEqual(['bags-in-store', 'anyone']);
    expect(ids({ properties: { category: 'bags' }, channel: 'web' })).toEqual(['anyone']);
    expect(ids({})).toEqual(['anyone']);
  });
});
