import { describe, expect, it } from 'vitest';
import { type CounterBuckets, type CounterSpec, increment } from '../../lambdas/core/counters.js';
import { applyRecordsToCustomer } from '../../lambdas/core/engine.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { Journey } from '../../schemas/journey.js';
import { compileConsentingJourneys } from './support/consenting.js';
import { iso, seq, trackRecord } from './support/journey-records.js';

const HOUR_MS = 3_600_000;
// Hourly buckets, a 5-hour horizon: 5 buckets kept, the newest included.
const spec: CounterSpec = {
  id: 'c',
  event: 'Product Viewed',
  bucketSeconds: 3_600,
  horizonSeconds: 5 * 3_600,
  matches: () => true,
};
const at = (hour: number) => hour * HOUR_MS + 123;

describe('increment', () => {
  it('starts a counter, then adds to the newest bucket or opens a new one', () => {
    const one = increment(undefined, spec, at(100));
    expect(one).toEqual([[100, 1]]);
    expect(increment(one, spec, at(100))).toEqual([[100, 2]]);
    expect(increment(one, spec, at(102))).toEqual([
      [100, 1],
      [102, 1],
    ]);
  });

  it('puts a late event in its own bucket, in order', () => {
    const stored: CounterBuckets = [
      [100, 1],
      [103, 2],
    ];
    expect(increment(stored, spec, at(101))).toEqual([
      [100, 1],
      [101, 1],
      [103, 2],
    ]);
    expect(increment(stored, spec, at(100))).toEqual([
      [100, 2],
      [103, 2],
    ]);
  });

  it('drops buckets past the horizon of the newest, and ignores an event older than it', () => {
    const stored: CounterBuckets = [
      [100, 1],
      [103, 2],
    ];
    expect(increment(stored, spec, at(105))).toEqual([
      [103, 2],
      [105, 1],
    ]);
    // 98 is more than 5 buckets before 103: nothing counted, nothing kept past the horizon.
    expect(increment(stored, spec, at(98))).toEqual([
      [100, 1],
      [103, 2],
    ]);
  });

  it('leaves the stored buckets as they were', () => {
    const stored: CounterBuckets = Object.freeze([Object.freeze([100, 1])]) as unknown as CounterBuckets;
    expect(increment(stored, spec, at(100))).toEqual([[100, 2]]);
    expect(stored).toEqual([[100, 1]]);
  });
});

describe('counters in the engine', () => {
  it('keeps the counters no published journey asks about any more, and counts the others', () => {
    const journeys = compileConsentingJourneys([
      Journey.parse({
        id: 'viewers',
        name: 'Viewers',
        status: 'published',
        entry: {
          kind: 'event',
          event: 'Product Viewed',
          condition: { count: { event: 'Product Viewed', within: '1d' }, op: 'gte', value: 3 },
        },
        reentry: { mode: 'never' },
        start: 'done',
        steps: { done: { type: 'exit' } },
      }),
    ]);
    const at = iso(Date.parse('2026-03-02T10:00:00.000Z'));
    const first = applyRecordsToCustomer(
      undefined,
      [{ sequenceNumber: seq(1), record: trackRecord('c', 'Product Viewed', at, 'm-1') }],
      journeys,
    ).state;
    const stored: CustomerState = { ...first, counters: { retired: [[1, 4]], ...first.counters } };
    const { state } = applyRecordsToCustomer(
      stored,
      [{ sequenceNumber: seq(2), record: trackRecord('c', 'Product Viewed', at, 'm-2') }],
      journeys,
    );
    const [counterId] = Object.keys(first.counters ?? {});
    expect(state.counters).toEqual({ retired: [[1, 4]], [counterId as string]: [[expect.any(Number), 2]] });
  });
});
