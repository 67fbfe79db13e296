import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActionIntent,
  applyRecordsToCustomer,
  type SequencedRecord,
} from '../../lambdas/core/engine.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { Journey } from '../../schemas/journey.js';
import type { Timer } from '../../schemas/timer.js';
import { compileConsentingJourneys } from './support/consenting.js';
import {
  HOUR,
  identifyRecord,
  iso,
  KINESIS_BASE,
  MINUTE,
  timerRecord,
  trackRecord,
} from './support/journey-records.js';

/**
 * Exactly once in effect: Kinesis and Lambda deliver at least once, the sweeper puts each due
 * timer in the stream, and whatever the redelivery (a whole stream twice, batches retried from a
 * failed record, a replay at the end), the customer ends in the same state, with each action fired
 * once and the same timers pending, as after one clean delivery.
 */

const CUSTOMER = 'claire';
const T0 = Date.parse('2024-03-30T18:00:00.000Z');

const journeys = compileConsentingJourneys(
  [
    {
      id: 'cart',
      name: 'Abandoned cart',
      status: 'published',
      priority: 10,
      entry: {
        kind: 'event',
        event: 'Cart Abandoned',
        condition: { path: 'properties.total', op: 'gte', value: 20 },
      },
      reentry: { mode: 'afterCooldown', cooldown: '2h' },
      start: 'pause',
      steps: {
        pause: {
          type: 'wait',
          duration: '30m',
          quietHours: { start: '22:00', end: '08:00' },
          next: 'remind',
        },
        remind: { type: 'action', action: { id: 'cart-reminder' }, next: 'ordered' },
        ordered: {
          type: 'waitForEvent',
          event: 'Order Completed',
          timeout: '1d',
          lookback: '10m',
          next: 'thanks',
          onTimeout: 'who',
        },
        thanks: { type: 'action', action: { id: 'thank-you' } },
        who: {
          type: 'branch',
          branches: [
            { condition: { path: 'traits.tier', op: 'eq', value: 'gold' }, next: 'call' },
            {
              condition: { count: { event: 'Product Viewed', within: '2d' }, op: 'gte', value: 2 },
              next: 'discount',
            },
          ],
        },
        call: { type: 'action', action: { id: 'call-centre-callback' } },
        discount: { type: 'action', action: { id: 'discount' } },
      },
      exitWhen: [{ event: 'Unsubscribed' }],
      goal: { event: 'Order Completed', within: '3d' },
    },
    {
      id: 'browse',
      name: 'Browse again',
      status: 'published',
      entry: { kind: 'event', event: 'Product Viewed' },
      start: 'control',
      steps: {
        control: { type: 'holdout', percent: 20, next: 'ab' },
        ab: {
          type: 'split',
          variants: [
            { name: 'quick', percent: 50, next: 'again' },
            { name: 'slow', percent: 50, next: 'later' },
          ],
        },
        later: { type: 'wait', duration: '15m', next: 'again' },
        again: {
          type: 'waitForEvent',
          event: 'Product Viewed',
          timeout: '2h',
          lookback: '0s',
          next: 'hooked',
        },
        hooked: { type: 'action', action: { id: 'hooked' } },
      },
      goal: { event: 'Order Completed', within: '1d' },
    },
    {
      id: 'gold',
      name: 'Welcome to gold',
      status: 'published',
      entry: { kind: 'profile', condition: { path: 'traits.tier', op: 'eq', value: 'gold' } },
      start: 'hello',
      steps: {
        hello: { type: 'action', action: { id: 'gold-hello' }, next: 'morning' },
        morning: { type: 'wait', untilTimeOfDay: '09:00', next: 'perks' },
        perks: { type: 'action', action: { id: 'gold-perks' } },
      },
    },
  ].map((journey) => Journey.parse(journey)),
);

// ---------------------------------------------------------------------------------------------
// The world: the customer's events, and a sweeper that puts each timer in the stream once due.
// ---------------------------------------------------------------------------------------------

type Move =
  | { kind: 'event'; event: string; total: number; gapMs: number }
  | { kind: 'identify'; tier: string; gapMs: number }
  | { kind: 'fire'; pick: number; lateMs: number }
  | { kind: 'race'; event: string; pick: number }
  | { kind: 'stale'; pick: number }
  | { kind: 'sdkRetry'; pick: number };

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      event: fc.constantFrom(
        'Cart Abandoned',
        'Order Completed',
        'Product Viewed',
        'Unsubscribed',
        'Page Viewed',
      ),
      total: fc.constantFrom(5, 20, 80),
      // 0 puts two records at the same instant: a race the stream order decides.
      gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * HOUR })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('identify' as const),
      tier: fc.constantFrom('gold', 'silver'),
      gapMs: fc.integer({ min: 0, max: HOUR }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('fire' as const),
      pick: fc.nat(),
      // The sweeper runs every minute: a timer is in the stream at its due time or a little after.
      lateMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * MINUTE })),
    }),
  },
  {
    // An event at the very instant a timer is due: the sweeper's record may come before or after it.
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      event: fc.constantFrom('Order Completed', 'Product Viewed'),
      pick: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sdkRetry' as const), pick: fc.nat() }) },
);

interface Stream {
  records: SequencedRecord[];
  /** How many records the sweeper put in the stream. */
  timerRecords: number;
}

/**
 * Plays the moves against the engine, one record at a time, to learn which timers exist, and
 * returns the stream that resulted: events, identifies, the sweeper's timer records (each timer
 * set and not cancelled, at or after its due time; sometimes one cancelled meanwhile, as a sweeper
 * that read it just before the cancel would), and SDK retries of earlier events.
 */
function playWorld(moves: readonly Move[], gaps: readonly number[], drain: boolean): Stream {
  const records: SequencedRecord[] = [];
  let position = KINESIS_BASE;
  let clock = T0;
  let state: CustomerState | undefined;
  const pending = new Map<string, Timer>();
  const cancelledUnfired = new Map<string, Timer>();
  const sent: SequencedRecord['record'][] = [];
  let timerRecords = 0;

  const append = (record: SequencedRecord['record']) => {
    position += BigInt(gaps[records.length % Math.max(gaps.length, 1)] ?? 1) * 1_000_000_000n;
    const sequenced = { sequenceNumber: position.toString(), record };
    records.push(sequenced);
    const outcome = applyRecordsToCustomer(state, [sequenced], journeys);
    state = outcome.state;
    for (const timer of outcome.timers.set) pending.set(timer.timerId, timer);
    for (const timerId of outcome.timers.cancel) {
      const timer = pending.get(timerId);
      if (timer !== undefined) cancelledUnfired.set(timerId, timer);
      pending.delete(timerId);
    }
  };
  const fire = (timer: Timer, at: number) => {
    pending.delete(timer.timerId);
    cancelledUnfired.delete(timer.timerId);
    timerRecords += 1;
    append(timerRecord(timer, iso(at)));
  };
  const byDueAt = (timers: Iterable<Timer>) => [...timers].sort((a, b) => a.dueAt.localeCompare(b.dueAt));

  moves.forEach((move, index) => {
    const messageId = `m-${index}`;
    switch (move.kind) {
      case 'event': {
        clock += move.gapMs;
        const record = trackRecord(CUSTOMER, move.event, iso(clock), messageId, { total: move.total });
        sent.push(record);
        append(record);
        break;
      }
      case 'identify': {
        clock += move.gapMs;
        const record = identifyRecord(
          CUSTOMER,
          { tier: move.tier, timezone: 'Europe/Paris' },
          iso(clock),
          messageId,
        );
        sent.push(record);
        append(record);
        break;
      }
      case 'fire': {
        const due = byDueAt(pending.values());
        const timer = due[move.pick % Math.max(due.length, 1)];
        if (timer === undefined) break;
        clock = Math.max(clock, Date.parse(timer.dueAt)) + move.lateMs;
        fire(timer, clock);
        break;
      }
      case 'race': {
        const due = byDueAt(pending.values());
        const timer = due[move.pick % Math.max(due.length, 1)];
        if (timer === undefined) break;
        clock = Math.max(clock, Date.parse(timer.dueAt));
        const record = trackRecord(CUSTOMER, move.event, iso(clock), messageId, { total: 80 });
        sent.push(record);
        append(record);
        break;
      }
      case 'stale': {
        const stale = byDueAt(cancelledUnfired.values());
        const timer = stale[move.pick % Math.max(stale.length, 1)];
        if (timer === undefined) break;
        clock = Math.max(clock, Date.parse(timer.dueAt));
        fire(timer, clock);
        break;
      }
      case 'sdkRetry': {
        // The sender repeats an earlier call: same message id, later in the stream.
        const earlier = sent[move.pick % Math.max(sent.length, 1)];
        if (earlier !== undefined) append(earlier);
        break;
      }
    }
  });
  // Sometimes the story ends with timers pending; sometimes the sweeper fires them all as they come due.
  for (let round = 0; drain && round < 50 && pending.size > 0; round += 1) {
    const [next] = byDueAt(pending.values());
    if (next === undefined) break;
    clock = Math.max(clock, Date.parse(next.dueAt));
    fire(next, clock);
  }
  return { records, timerRecords };
}

// ---------------------------------------------------------------------------------------------
// Deliveries: what the processor sees, and what it leaves behind.
// ---------------------------------------------------------------------------------------------

interface Delivered {
  state: CustomerState | undefined;
  actions: ActionIntent[];
  /** Timer items after every write: those set and not cancelled. */
  liveTimers: Map<string, Timer>;
}

/** A processor that writes each outcome (state, actions, timer changes) before the next batch. */
function processor() {
  const delivered: Delivered = { state: undefined, actions: [], liveTimers: new Map() };
  const deliver = (batch: readonly SequencedRecord[]) => {
    if (batch.length === 0) return;
    const outcome = applyRecordsToCustomer(delivered.state, batch, journeys);
    delivered.state = outcome.state;
    delivered.actions.push(...outcome.actions);
    for (const timer of outcome.timers.set) delivered.liveTimers.set(timer.timerId, timer);
    for (const timerId of outcome.timers.cancel) delivered.liveTimers.delete(timerId);
  };
  return { delivered, deliver };
}

function splitAt<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const positions = [...new Set(cuts.map((cut) => cut % (items.length + 1)))].sort((a, b) => a - b);
  const batches: T[][] = [];
  let from = 0;
  for (const position of [...positions, items.length]) {
    if (position > from) batches.push(items.slice(from, position));
    from = Math.max(from, position);
  }
  return batches;
}

/**
 * Lambda's way with a batch that fails part-way: the records before the failed one are written,
 * and the retry starts at the failed record (partial batch response) or anywhere before it, back
 * to the batch's start (an error thrown: the whole batch again; bisection: a half of it).
 */
const attemptArb = fc.record({ progress: fc.nat(), restart: fc.nat() });
const deliveryPlanArb = fc.record({
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  attemptsPerBatch: fc.array(fc.array(attemptArb, { maxLength: 3 }), { maxLength: 14 }),
});
type DeliveryPlan = { cuts: number[]; attemptsPerBatch: { progress: number; restart: number }[][] };

function deliverWithRetries(
  records: readonly SequencedRecord[],
  plan: DeliveryPlan,
  deliver: (batch: readonly SequencedRecord[]) => void,
) {
  splitAt(records, plan.cuts).forEach((batch, index) => {
    let start = 0;
    let done = 0;
    for (const attempt of plan.attemptsPerBatch[index] ?? []) {
      const end = done + (attempt.progress % (batch.length - done + 1));
      deliver(batch.slice(start, end));
      done = end;
      start = attempt.restart % (done + 1);
    }
    deliver(batch.slice(start));
  });
}

const byActionId = (actions: readonly ActionIntent[]) =>
  [...actions].sort((a, b) => a.actionId.localeCompare(b.actionId));

const waitingTimerIds = (state: CustomerState | undefined) =>
  Object.values(state?.instances ?? {})
    .flatMap((instance) => (instance.waiting === undefined ? [] : [instance.waiting.timerId]))
    .sort();

function expectSameAsClean(delivered: Delivered, clean: Delivered) {
  expect(delivered.state).toEqual(clean.state);
  const ids = delivered.actions.map((fired) => fired.actionId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(byActionId(delivered.actions)).toEqual(byActionId(clean.actions));
  expect([...delivered.liveTimers.keys()].sort()).toEqual([...clean.liveTimers.keys()].sort());
}

const worldArb = fc.record({
  moves: fc.array(moveArb, { minLength: 1, maxLength: 45 }),
  // Kinesis sequence numbers grow, with gaps.
  gaps: fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 8 }),
  drain: fc.boolean(),
});

function cleanDelivery(records: readonly SequencedRecord[]): Delivered {
  const { delivered, deliver } = processor();
  deliver(records);
  return delivered;
}

describe('journeys under at-least-once delivery', () => {
  it('plays worlds that exercise the journeys: actions, waits, time-outs and stale timers', () => {
    // Not a property: a guard that the generator reaches what the properties below are about.
    const seen = { actions: new Set<string>(), timerRecords: 0, pendingAtEnd: 0 };
    fc.assert(
      fc.property(worldArb, ({ moves, gaps, drain }) => {
        const { records, timerRecords } = playWorld(moves, gaps, drain);
        const clean = cleanDelivery(records);
        for (const fired of clean.actions) seen.actions.add(fired.action);
        seen.timerRecords += timerRecords;
        if (clean.liveTimers.size > 0) seen.pendingAtEnd += 1;
      }),
      { numRuns: 300, seed: 42 },
    );
    expect([...seen.actions].sort()).toEqual([
      'call-centre-callback',
      'cart-reminder',
      'discount',
      'gold-hello',
      'gold-perks',
      'hooked',
      'thank-you',
    ]);
    expect(seen.timerRecords).toBeGreaterThan(300);
    // The comparison of pending timers is not an empty one.
    expect(seen.pendingAtEnd).toBeGreaterThan(30);
  });

  it('leaves exactly the timers of waiting instances pending after a clean delivery', () => {
    fc.assert(
      fc.property(worldArb, ({ moves, gaps, drain }) => {
        const clean = cleanDelivery(playWorld(moves, gaps, drain).records);
        expect([...clean.liveTimers.keys()].sort()).toEqual(waitingTimerIds(clean.state));
        // When the sweeper fired every timer as it came due, the journeys ran to their end.
        if (drain) expect(clean.liveTimers.size).toBe(0);
      }),
    );
  });

  it('(a) gives the clean result when each record is delivered once, in any batches', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.nat(), { maxLength: 12 }), ({ moves, gaps, drain }, cuts) => {
        const { records } = playWorld(moves, gaps, drain);
        const clean = cleanDelivery(records);
        const { delivered, deliver } = processor();
        for (const batch of splitAt(records, cuts)) deliver(batch);
        expectSameAsClean(delivered, clean);
      }),
    );
  });

  it('(b) gives the clean result when every batch, and then the whole stream, is delivered twice', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.nat(), { maxLength: 12 }), ({ moves, gaps, drain }, cuts) => {
        const { records } = playWorld(moves, gaps, drain);
        const clean = cleanDelivery(records);
        const { delivered, deliver } = processor();
        for (const batch of splitAt(records, cuts)) {
          deliver(batch);
          deliver(batch);
        }
        deliver(records);
        expectSameAsClean(delivered, clean);
      }),
    );
  });

  it('(c) gives the clean result when batches fail part-way and are retried from a failed record', () => {
    fc.assert(
      fc.property(worldArb, deliveryPlanArb, ({ moves, gaps, drain }, plan) => {
        const { records } = playWorld(moves, gaps, drain);
        const clean = cleanDelivery(records);
        const { delivered, deliver } = processor();
        deliverWithRetries(records, plan, deliver);
        expectSameAsClean(delivered, clean);
      }),
    );
  });

  it('(d) gives the clean result when retried batches are followed by a replay of every record', () => {
    fc.assert(
      fc.property(
        worldArb,
        deliveryPlanArb,
        fc.array(fc.nat(), { maxLength: 6 }),
        ({ moves, gaps, drain }, plan, replayCuts) => {
          const { records } = playWorld(moves, gaps, drain);
          const clean = cleanDelivery(records);
          const { delivered, deliver } = processor();
          deliverWithRetries(records, plan, deliver);
          // A replay from the stream's trim horizon, or from the dead-letter queue, in its own batches.
          const before = { ...delivered, actions: [...delivered.actions] };
          for (const batch of splitAt(records, replayCuts)) deliver(batch);
          expect(delivered.actions).toEqual(before.actions);
          expectSameAsClean(delivered, clean);
        },
      ),
    );
  });
});
