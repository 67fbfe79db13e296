import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CUSTOMERS_TABLE } from '../../lambdas/adapters/table-design.js';
import { netTimerChanges, timerBucketOf, timerExpiresAt } from '../../lambdas/adapters/timer-items.js';
import type { Timer } from '../../schemas/timer.js';

const timer = (timerId: string, dueAt = '2030-01-01T00:00:00.000Z'): Timer => ({
  timerId,
  tenantId: 'acme',
  customerId: 'claire',
  instanceId: 'welcome-1',
  dueAt,
});

describe('timerBucketOf', () => {
  it('puts a timer in the same bucket every time, within the bucket count', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 140 }), (timerId) => {
        const bucket = timerBucketOf(timerId);
        expect(bucket).toBe(timerBucketOf(timerId));
        expect(Number.isInteger(bucket)).toBe(true);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(CUSTOMERS_TABLE.timerBuckets);
      }),
    );
  });

  it('keeps the buckets of known ids (a change would strand every pending timer)', () => {
    expect(['welcome-1:wait-2', 'a', 'é', 'cart-reminder#3:timeout'].map(timerBucketOf)).toEqual([
      0, 2, 14, 3,
    ]);
  });

  it('spreads similar ids evenly over the buckets (within 10 % of the mean on 64,000 ids)', () => {
    const counts = new Array<number>(CUSTOMERS_TABLE.timerBuckets).fill(0);
    const ids = 64_000;
    for (let i = 0; i < ids; i += 1) {
      const bucket = timerBucketOf(`instance-${i}:wait`);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    const mean = ids / CUSTOMERS_TABLE.timerBuckets;
    for (const count of counts) expect(Math.abs(count - mean) / mean).toBeLessThan(0.1);
  });
});

describe('netTimerChanges', () => {
  it('keeps one put per timer id, the last one given', () => {
    const later = timer('t1', '2030-01-02T00:00:00.000Z');
    expect(netTimerChanges({ set: [timer('t1'), timer('t2'), later], cancel: [] })).toEqual({
      set: [later, timer('t2')],
      cancel: [],
    });
  });

  it('deletes each cancelled id once', () => {
    expect(netTimerChanges({ set: [], cancel: ['t1', 't2', 't1'] })).toEqual({
      set: [],
      cancel: ['t1', 't2'],
    });
  });

  it('keeps a timer that is both set and cancelled: a stray firing is ignored, a lost wait is not', () => {
    expect(netTimerChanges({ set: [timer('t1')], cancel: ['t1', 't2'] })).toEqual({
      set: [timer('t1')],
      cancel: ['t2'],
    });
  });

  it('never touches an item twice, whatever it is given', () => {
    const ids = fc.constantFrom('t1', 't2', 't3', 't4');
    fc.assert(
      fc.property(fc.array(ids), fc.array(ids), (setIds, cancel) => {
        const net = netTimerChanges({ set: setIds.map((id) => timer(id)), cancel });
        const touched = [...net.set.map((t) => t.timerId), ...net.cancel];
        expect(new Set(touched).size).toBe(touched.length);
        expect(new Set(touched)).toEqual(new Set([...setIds, ...cancel]));
      }),
    );
  });
});

describe('timerExpiresAt', () => {
  it('is a week after the due time, in epoch seconds', () => {
    expect(timerExpiresAt('2030-01-01T00:00:00.500Z')).toBe(Date.UTC(2030, 0, 8) / 1_000);
  });
});
