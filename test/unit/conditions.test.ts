import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../lambdas/core/conditions.js';
import { CounterRegistry } from '../../lambdas/core/counters.js';
import type { Comparison } from '../../schemas/condition.js';

/** The trigger form: every comparison must hold on the event alone. */
function compileConditions(conditions: readonly Comparison[]) {
  const predicate = compileCondition({ all: [...conditions] }, new CounterRegistry());
  return (event: Record<string, unknown>) => predicate({ event, traits: {}, now: 0, count: () => 0 });
}

import type { PropertyCondition } from '../../schemas/journey.js';

const matches = (condition: PropertyCondition, event: Record<string, unknown>): boolean =>
  compileConditions([condition])(event);

const withProperties = (properties: Record<string, unknown>) => ({ event: 'Order Completed', properties });

describe('compileConditions', () => {
  it('matches every event when there are no conditions', () => {
    const always = compileConditions([]);
    expect(always({})).toBe(true);
    expect(always(withProperties({ anything: 1 }))).toBe(true);
  });

  it('matches only when every condition holds', () => {
    const bigShoeOrder = compileConditions([
      { path: 'properties.category', op: 'eq', value: 'shoes' },
      { path: 'properties.total', op: 'gte', value: 100 },
    ]);
    expect(bigShoeOrder(withProperties({ category: 'shoes', total: 100 }))).toBe(true);
    expect(bigShoeOrder(withProperties({ category: 'shoes', total: 99 }))).toBe(false);
    expect(bigShoeOrder(withProperties({ category: 'bags', total: 500 }))).toBe(false);
  });

  describe('eq and neq', () => {
    it('compares strings, numbers and booleans strictly', () => {
      const isShoes: PropertyCondition = { path: 'properties.category', op: 'eq', value: 'shoes' };
      expect(matches(isShoes, withProperties({ category: 'shoes' }))).toBe(true);
      expect(matches(isShoes, withProperties({ category: 'Shoes' }))).toBe(false);
      expect(matches(isShoes, withProperties({}))).toBe(false);

      const isOne: PropertyCondition = { path: 'properties.quantity', op: 'eq', value: 1 };
      expect(matches(isOne, withProperties({ quantity: 1 }))).toBe(true);
      expect(matches(isOne, withProperties({ quantity: '1' }))).toBe(false);
      expect(matches(isOne, withProperties({ quantity: true }))).toBe(false);

      const isGift: PropertyCondition = { path: 'properties.gift', op: 'eq', value: true };
      expect(matches(isGift, withProperties({ gift: true }))).toBe(true);
      expect(matches(isGift, withProperties({ gift: 'true' }))).toBe(false);
    });

    it('treats a missing value as different from any given value', () => {
      const notShoes: PropertyCondition = { path: 'properties.category', op: 'neq', value: 'shoes' };
      expect(matches(notShoes, withProperties({ category: 'bags' }))).toBe(true);
      expect(matches(notShoes, withProperties({}))).toBe(true);
      expect(matches(notShoes, withProperties({ category: 'shoes' }))).toBe(false);
    });
  });

  describe('numeric comparisons', () => {
    const cases: [PropertyCondition['op'], number, boolean][] = [
      ['gt', 99, true],
      ['gt', 100, false],
      ['gte', 100, true],
      ['gte', 100.01, false],
      ['lt', 101, true],
      ['lt', 100, false],
      ['lte', 100, true],
      ['lte', 99.99, false],
    ];
    it.each(cases)('%s %d holds for 100: %s', (op, value, expected) => {
      const condition = { path: 'properties.total', op, value } as PropertyCondition;
      expect(matches(condition, withProperties({ total: 100 }))).toBe(expected);
    });

    it('never matches a numeric string, whatever the operator', () => {
      for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
        const condition: PropertyCondition = { path: 'properties.total', op, value: 100 };
        expect(matches(condition, withProperties({ total: '100' }))).toBe(false);
        expect(matches(condition, withProperties({ total: '150' }))).toBe(false);
        expect(matches(condition, withProperties({ total: '50' }))).toBe(false);
      }
    });

    it('never matches a missing value, null, a boolean or a non-finite number', () => {
      const atMostMillion: PropertyCondition = { path: 'properties.total', op: 'lte', value: 1e6 };
      const atLeastZero: PropertyCondition = { path: 'properties.total', op: 'gte', value: 0 };
      for (const total of [undefined, null, true, Number.NaN, Number.NEGATIVE_INFINITY, [5]]) {
        expect(matches(atMostMillion, withProperties({ total }))).toBe(false);
      }
      expect(matches(atLeastZero, withProperties({ total: Number.POSITIVE_INFINITY }))).toBe(false);
    });
  });

  describe('in', () => {
    it('matches a value listed, with its type', () => {
      const inCountries: PropertyCondition = { path: 'context.country', op: 'in', value: ['FR', 'BE', 33] };
      expect(matches(inCountries, { context: { country: 'BE' } })).toBe(true);
      expect(matches(inCountries, { context: { country: 33 } })).toBe(true);
      expect(matches(inCountries, { context: { country: '33' } })).toBe(false);
      expect(matches(inCountries, { context: { country: 'DE' } })).toBe(false);
      expect(matches(inCountries, {})).toBe(false);
    });
  });

  describe('contains', () => {
    const mentionsSale: PropertyCondition = { path: 'properties.tags', op: 'contains', value: 'sale' };

    it('looks for a substring in a string', () => {
      expect(matches(mentionsSale, withProperties({ tags: 'summer-sale-2024' }))).toBe(true);
      expect(matches(mentionsSale, withProperties({ tags: 'summer' }))).toBe(false);
    });

    it('looks for an element in an array, not for a substring of its elements', () => {
      expect(matches(mentionsSale, withProperties({ tags: ['new', 'sale'] }))).toBe(true);
      expect(matches(mentionsSale, withProperties({ tags: ['wholesale'] }))).toBe(false);
      expect(matches(mentionsSale, withProperties({ tags: [] }))).toBe(false);
    });

    it('never matches a value that is neither a string nor an array', () => {
      expect(matches(mentionsSale, withProperties({ tags: { sale: true } }))).toBe(false);
      expect(matches(mentionsSale, withProperties({ tags: 42 }))).toBe(false);
      expect(matches(mentionsSale, withProperties({}))).toBe(false);
    });
  });

  describe('startsWith', () => {
    it('matches a string prefix only', () => {
      const fromCampaign: PropertyCondition = {
        path: 'context.page.path',
        op: 'startsWith',
        value: '/promo/',
      };
      expect(matches(fromCampaign, { context: { page: { path: '/promo/summer' } } })).toBe(true);
      expect(matches(fromCampaign, { context: { page: { path: '/shop/promo/summer' } } })).toBe(false);
      expect(matches(fromCampaign, { context: { page: { path: ['/promo/summer'] } } })).toBe(false);
      expect(matches(fromCampaign, { context: { page: {} } })).toBe(false);
    });
  });

  describe('exists', () => {
    const hasCoupon: PropertyCondition = { path: 'properties.coupon', op: 'exists' };

    it('holds for any present value, falsy ones included', () => {
      for (const coupon of ['SUMMER', '', 0, false, [], {}]) {
        expect(matches(hasCoupon, withProperties({ coupon }))).toBe(true);
      }
    });

    it('does not hold for null, undefined or a missing key', () => {
      expect(matches(hasCoupon, withProperties({ coupon: null }))).toBe(false);
      expect(matches(hasCoupon, withProperties({ coupon: undefined }))).toBe(false);
      expect(matches(hasCoupon, withProperties({}))).toBe(false);
      expect(matches(hasCoupon, { event: 'Order Completed' })).toBe(false);
    });

    it('does not see members inherited from Object.prototype as properties of the event', () => {
      expect(matches({ path: 'properties.constructor', op: 'exists' }, withProperties({}))).toBe(false);
      expect(matches({ path: 'properties.toString', op: 'exists' }, withProperties({}))).toBe(false);
      expect(
        matches(
          { path: 'properties.constructor', op: 'eq', value: 'x' },
          withProperties({ constructor: 'x' }),
        ),
      ).toBe(true);
    });

    it('does not see members inherited from Array.prototype when a path goes through an array', () => {
      const inArray = (path: string) =>
        compileConditions([{ path, op: 'exists' }])({ event: 'Order Completed', properties: ['a', 'b'] });
      expect(inArray('properties.map')).toBe(false);
      expect(inArray('properties.length')).toBe(true);
      expect(inArray('properties.0')).toBe(true);
      expect(inArray('properties.size')).toBe(false);
    });
  });

  describe('paths', () => {
    it('reads nested values through objects', () => {
      const deep: PropertyCondition = { path: 'properties.cart.items.count', op: 'gt', value: 2 };
      expect(matches(deep, withProperties({ cart: { items: { count: 3 } } }))).toBe(true);
      expect(matches(deep, withProperties({ cart: { items: { count: 2 } } }))).toBe(false);
    });

    it('yields no value when an intermediate segment is missing, null or a scalar', () => {
      const deep: PropertyCondition = { path: 'properties.cart.total', op: 'exists' };
      expect(matches(deep, withProperties({}))).toBe(false);
      expect(matches(deep, withProperties({ cart: null }))).toBe(false);
      expect(matches(deep, withProperties({ cart: 'full' }))).toBe(false);
      expect(matches(deep, withProperties({ cart: 12 }))).toBe(false);
    });

    it('reads top-level fields of the event such as userId and event', () => {
      expect(matches({ path: 'userId', op: 'startsWith', value: 'vip-' }, { userId: 'vip-7' })).toBe(true);
      expect(matches({ path: 'event', op: 'eq', value: 'Signed Up' }, { event: 'Signed Up' })).toBe(true);
    });

    it('treats a dotted key as a path, not as one key', () => {
      const dotted: PropertyCondition = { path: 'properties.a.b', op: 'eq', value: 1 };
      expect(matches(dotted, withProperties({ 'a.b': 1 }))).toBe(false);
      expect(matches(dotted, withProperties({ a: { b: 1 } }))).toBe(true);
    });
  });
});
