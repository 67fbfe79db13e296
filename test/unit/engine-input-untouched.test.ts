import { describe, expect, it } from 'vitest';
import { applyRecordsToCustomer, type SequencedRecord } from '../../lambdas/core/engine.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { Journey } from '../../schemas/journey.js';
import type { StreamRecord } from '../../schemas/stream-record.js';
import type { Timer } from '../../schemas/timer.js';
import { compileConsentingJourneys } from './support/consenting.js';
import { DAY, HOUR, identifyRecord, iso, seq, timerRecord, trackRecord } from './support/journey-records.js';

/** Freezes an object and everything it holds: any write to it then throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const T0 = Date.parse('2026-03-02T10:00:00.000Z');

// Every part of the state the engine writes: profile, channels, counters, look-back buffer,
// instances (entered, waiting, resumed, goal reached, ended), attribution, journey progress.
const journeys = compileConsentingJourneys(
  [
    {
      id: 'cart',
      name: 'Cart',
      status: 'published',
      entry: {
        kind: 'event',
        event: 'Cart Abandoned',
        condition: {
          all: [
            { path: 'traits.tier', op: 'eq', value: 'gold' },
            { count: { event: 'Product Viewed', within: '7d' }, op: 'gte', value: 1 },
          ],
        },
      },
      reentry: { mode: 'afterCooldown', cooldown: '1d' },
      start: 'nudge',
      steps: {
        nudge: { type: 'action', action: { id: 'cart-email' }, next: 'pause' },
        pause: { type: 'wait', duration: '1h', next: 'bought' },
        bought: {
          type: 'waitForEvent',
          event: 'Order Completed',
          lookback: '1h',
          timeout: '1d',
          next: 'thanks',
          onTimeout: 'vip',
        },
        vip: {
          type: 'branch',
          branches: [{ condition: { path: 'traits.tier', op: 'eq', value: 'gold' }, next: 'call' }],
        },
        call: { type: 'action', action: { id: 'call-back' } },
        thanks: { type: 'action', action: { id: 'thank-you' } },
      },
      exitWhen: [{ event: 'Unsubscribed' }],
      goal: { event: 'Order Completed', within: '7d' },
    },
  ].map((journey) => Journey.parse(journey)),
);

describe('applyRecordsToCustomer leaves the state it is given untouched', () => {
  it('never writes to the previous state, however deep, through a whole journey', () => {
    const customerId = 'claire';
    let state: CustomerState | undefined;
    let position = 0;
    const timers: Timer[] = [];
    const apply = (record: StreamRecord) => {
      position += 1;
      const previous = state === undefined ? undefined : deepFreeze(state);
      const copy = structuredClone(previous);
      const records: SequencedRecord[] = [{ sequenceNumber: seq(position), record }];
      // A redelivery of the record in the same batch: the duplicate path reads the frozen input too.
      const outcome = applyRecordsToCustomer(previous, [...records, ...records], journeys);
      expect(previous).toEqual(copy);
      expect(outcome.applied).toBe(1);
      timers.push(...outcome.timers.set);
      state = outcome.state;
      return outcome;
    };
    apply(identifyRecord(customerId, { tier: 'gold' }, iso(T0), 'id-1'));
    apply(trackRecord(customerId, 'Product Viewed', iso(T0 + 1_000), 'pv-1', { sku: 'S-1' }));
    const entered = apply(trackRecord(customerId, 'Cart Abandoned', iso(T0 + 2_000), 'ca-1'));
    expect(entered.actions.map((action) => action.action)).toEqual(['cart-email']);
    apply(trackRecord(customerId, 'Order Completed', iso(T0 + 3_000), 'oc-1', { total: 40 }));
    for (const timer of timers.splice(0)) apply(timerRecord(timer, iso(T0 + 2 * HOUR)));
    apply(identifyRecord(customerId, { tier: 'silver' }, iso(T0 + 3 * HOUR), 'id-2'));
    for (const timer of timers.splice(0)) apply(timerRecord(timer, iso(T0 + 2 * DAY)));
    apply(trackRecord(customerId, 'Cart Abandoned', iso(T0 + 3 * DAY), 'ca-2'));
    apply(trackRecord(customerId, 'Unsubscribed', iso(T0 + 3 * DAY + 1_000), 'un-1'));
    expect(state?.eventCount).toBe(7);
    expect(state?.journeys.cart?.entries).toBeGreaterThanOrEqual(1);
  });
});
