import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemsInWrite, MAX_ITEMS_PER_WRITE } from '../../lambdas/adapters/customer-store.js';
import { firstSliceThatFits } from '../../lambdas/processor/slice-to-fit.js';

const extra = (sk: string) => ({ Put: { TableName: 'customers', Item: { pk: 'acme#claire', sk } } });

describe('itemsInWrite', () => {
  it('counts the state, the actions and the extra writes of the transaction', () => {
    expect(itemsInWrite([])).toBe(1);
    expect(itemsInWrite(['a1', 'a2'], [extra('CAPS'), extra('DECISION#1')])).toBe(5);
  });
});

describe('firstSliceThatFits', () => {
  /** A stand-in for the engine: record i touches `items[i]` items besides the state. */
  const outcomeOf = (items: readonly number[]) => (take: number) =>
    1 + items.slice(0, take).reduce((sum, count) => sum + count, 0);
  const fits = (total: number) => total <= MAX_ITEMS_PER_WRITE;

  it('takes every record when their outcome fits in one write', () => {
    const items = new Array(100).fill(0);
    items[0] = 99;
    expect(firstSliceThatFits(items.length, outcomeOf(items), fits)).toEqual({ take: 100, outcome: 100 });
  });

  it('halves the slice until it fits: 60 records each firing an action and writing its decision', () => {
    const items = new Array(60).fill(2);
    expect(firstSliceThatFits(items.length, outcomeOf(items), fits)).toEqual({ take: 30, outcome: 61 });
  });

  it('gives up at one record, whose outcome the write then refuses', () => {
    expect(firstSliceThatFits(3, outcomeOf([150, 1, 1]), fits)).toEqual({ take: 1, outcome: 151 });
  });

  it('splits any batch into slices that each fit, covering every record once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 200 }), (items) => {
        let remaining = items;
        let covered = 0;
        while (remaining.length > 0) {
          const { take, outcome } = firstSliceThatFits(remaining.length, outcomeOf(remaining), fits);
          expect(take).toBeGreaterThanOrEqual(1);
          expect(fits(outcome)).toBe(true);
          covered += take;
          remaining = remaining.slice(take);
        }
        expect(covered).toBe(items.length);
      }),
    );
  });
});
