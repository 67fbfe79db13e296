import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActionIntent,
  applyRecordsToCustomer,
  type PublishedJourneys,
  type SequencedRecord,
} from '../../lambdas/core/engine.js';
import { actionIdFor, instanceIdFor } from '../../lambdas/core/ids.js';
import { noEffects } from '../../lambdas/core/journey-runtime.js';
import { ActionWebhookBody } from '../../schemas/action.js';
import { CustomerState, RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';
import { Journey } from '../../schemas/journey.js';
import type { CallRecord } from '../../schemas/stream-record.js';
import { compileConsentingJourneys } from './support/consenting.js';

const TENANT = 'acme';
const CUSTOMER = 'user-42';
const RECEIVED_AT = '2024-05-01T12:00:00.000Z';

/** A Kinesis-like sequence number: 56 digits, far beyond Number.MAX_SAFE_INTEGER. */
const KINESIS_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
const seq = (n: number): string => (KINESIS_BASE + BigInt(n) * 1_000_000_000_000n).toString();

const journey = (input: Record<string, unknown> & { id: string; trigger: unknown }): Journey =>
  Journey.parse({
    name: input.id,
    status: 'published',
    action: { id: `${input.id}-action`, payload: { template: input.id } },
    ...input,
  });

const shoesJourney = journey({
  id: 'shoes',
  version: 3,
  trigger: {
    event: 'Product Viewed',
    conditions: [{ path: 'properties.category', op: 'eq', value: 'shoes' }],
  },
  action: { id: 'reserve-in-store', payload: { message: 'Try them on' } },
});
const bigOrderJourney = journey({
  id: 'big-order',
  trigger: { event: 'Order Completed', conditions: [{ path: 'properties.total', op: 'gte', value: 100 }] },
});
const welcomeOnceJourney = journey({ id: 'welcome', reentry: 'never', trigger: { event: 'Signed Up' } });
const pausedJourney = journey({ id: 'paused', status: 'paused', trigger: { event: 'Product Viewed' } });
const anyViewJourney = journey({ id: 'any-view', trigger: { event: 'Product Viewed' } });

interface EventSpec {
  event: string;
  messageId: string;
  properties?: Record<string, unknown>;
  timestamp?: string;
  customerId?: string;
  receivedAt?: string;
}

const eventRecord = (spec: EventSpec): CallRecord => {
  const customerId = spec.customerId ?? CUSTOMER;
  const receivedAt = spec.receivedAt ?? RECEIVED_AT;
  return {
    kind: 'call',
    tenantId: TENANT,
    customerId,
    receivedAt,
    call: {
      type: 'track',
      userId: customerId,
      event: spec.event,
      properties: spec.properties ?? {},
      messageId: spec.messageId,
      timestamp: spec.timestamp ?? receivedAt,
      receivedAt,
      channel: 'server',
      context: {},
    },
  };
};

const at = (n: number, spec: EventSpec): SequencedRecord => ({
  sequenceNumber: seq(n),
  record: eventRecord(spec),
});

const viewShoes = (n: number, messageId = `m-${n}`): SequencedRecord =>
  at(n, { event: 'Product Viewed', messageId, properties: { category: 'shoes' } });

describe('compileJourneys', () => {
  it('indexes published journeys by trigger event and leaves paused ones out', () => {
    const published = compileConsentingJourneys([
      shoesJourney,
      pausedJourney,
      anyViewJourney,
      bigOrderJourney,
    ]);
    const ids = (event: string) => (published.byTriggerEvent.get(event) ?? []).map((c) => c.journey.id);
    // Highest priority first, then by id: the order arbitration will see them in.
    expect(ids('Product Viewed')).toEqual(['any-view', 'shoes']);
    expect(ids('Order Completed')).toEqual(['big-order']);
    expect(published.byTriggerEvent.has('Signed Up')).toBe(false);
  });
});

describe('applyRecordsToCustomer', () => {
  const journeys = compileConsentingJourneys([
    shoesJourney,
    bigOrderJourney,
    welcomeOnceJourney,
    pausedJourney,
  ]);

  it("fires the journey's action with the journey, customer and triggering message", () => {
    const receivedAt = '2024-05-01T12:34:56.789Z';
    const record = at(1, {
      event: 'Product Viewed',
      messageId: 'msg-1',
      properties: { category: 'shoes', sku: 'S-1' },
      receivedAt,
    });
    const { actions } = applyRecordsToCustomer(undefined, [record], journeys);

    expect(actions).toHaveLength(1);
    const [action] = actions;
    expect(action).toEqual({
      actionId: actionIdFor(TENANT, CUSTOMER, instanceIdFor(CUSTOMER, 'shoes', 'msg-1'), 'msg-1', 'fire'),
      tenantId: TENANT,
      customerId: CUSTOMER,
      journeyId: 'shoes',
      journeyVersion: 3,
      action: 'reserve-in-store',
      channel: 'webhook',
      payload: { message: 'Try them on' },
      firedAt: receivedAt,
      triggeredBy: { messageId: 'msg-1', event: 'Product Viewed' },
      instanceId: expect.stringMatching(/^shoes:/),
      stepId: 'fire',
      priority: 0,
      reason: 'journey "shoes" (v3), step "fire", on "Product Viewed"',
    });
    // What the dispatcher will post must be a valid webhook body.
    expect(ActionWebhookBody.safeParse(action).success).toBe(true);
  });

  it('fires nothing for an event no journey is triggered by, yet still counts it', () => {
    const outcome = applyRecordsToCustomer(
      undefined,
      [at(1, { event: 'Page Viewed', messageId: 'm-1' })],
      journeys,
    );
    expect(outcome.actions).toEqual([]);
    expect(outcome.applied).toBe(1);
    expect(outcome.state.eventCount).toBe(1);
    expect(outcome.state.journeys).toEqual({});
  });

  it("fires nothing when the trigger event matches but its conditions don't", () => {
    const outcome = applyRecordsToCustomer(
      undefined,
      [
        at(1, { event: 'Product Viewed', messageId: 'm-1', properties: { category: 'bags' } }),
        at(2, { event: 'Order Completed', messageId: 'm-2', properties: { total: 99.99 } }),
        at(3, { event: 'Order Completed', messageId: 'm-3', properties: { total: '150' } }),
      ],
      journeys,
    );
    expect(outcome.actions).toEqual([]);
    expect(outcome.applied).toBe(3);
  });

  it('never fires a paused journey, even for an event that would match it', () => {
    const onlyPaused = compileConsentingJourneys([pausedJourney]);
    const outcome = applyRecordsToCustomer(undefined, [viewShoes(1), viewShoes(2)], onlyPaused);
    expect(outcome.actions).toEqual([]);
    expect(outcome.state.journeys).toEqual({});
  });

  it("fires a reentry 'never' journey once per customer, across batches", () => {
    const signUp = (n: number) => at(n, { event: 'Signed Up', messageId: `signup-${n}` });
    const first = applyRecordsToCustomer(undefined, [signUp(1), signUp(2)], journeys);
    expect(first.actions.map((a) => a.journeyId)).toEqual(['welcome']);
    expect(first.actions[0]?.triggeredBy.messageId).toBe('signup-1');

    const later = applyRecordsToCustomer(first.state, [signUp(3)], journeys);
    expect(later.actions).toEqual([]);
    expect(later.applied).toBe(1);
    expect(later.state.journeys.welcome?.entries).toBe(1);
  });

  it("fires a reentry 'never' journey for each customer separately", () => {
    const signUp = (customerId: string) => [
      at(1, { event: 'Signed Up', messageId: `signup-${customerId}`, customerId }),
    ];
    const alice = applyRecordsToCustomer(undefined, signUp('alice'), journeys);
    const bob = applyRecordsToCustomer(undefined, signUp('bob'), journeys);
    expect(alice.actions).toHaveLength(1);
    expect(bob.actions).toHaveLength(1);
  });

  it("fires a reentry 'always' journey on every matching event and counts the entries", () => {
    const outcome = applyRecordsToCustomer(undefined, [viewShoes(1), viewShoes(2), viewShoes(3)], journeys);
    expect(outcome.actions.map((a) => a.triggeredBy.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(outcome.state.journeys.shoes).toEqual({ entries: 3, lastEnteredAt: RECEIVED_AT });
  });

  it('treats a record at or below the applied sequence number as a duplicate', () => {
    const { state } = applyRecordsToCustomer(undefined, [viewShoes(5)], journeys);
    expect(state.appliedSequence).toBe(seq(5));

    const redelivered = applyRecordsToCustomer(
      state,
      [viewShoes(4, 'older'), viewShoes(5, 'same-position')],
      journeys,
    );
    expect(redelivered).toEqual({
      state,
      ...noEffects(),
      consent: { history: [], withdrawn: false },
      forwards: [],
      applied: 0,
      duplicates: 2,
    });
  });

  it('compares sequence numbers as numbers, not as strings', () => {
    // '10' < '9' as strings; a string comparison would drop this record as a redelivery.
    const { state } = applyRecordsToCustomer(
      undefined,
      [{ sequenceNumber: '9', record: viewShoes(0).record }],
      journeys,
    );
    const next = applyRecordsToCustomer(
      state,
      [{ sequenceNumber: '10', record: viewShoes(0, 'm-next').record }],
      journeys,
    );
    expect(next.applied).toBe(1);
    expect(next.state.appliedSequence).toBe('10');
  });

  it('treats a repeated messageId at a new sequence number as a duplicate (an SDK retry)', () => {
    const first = applyRecordsToCustomer(undefined, [viewShoes(1, 'retried')], journeys);
    const again = applyRecordsToCustomer(first.state, [viewShoes(2, 'retried')], journeys);
    expect(again.actions).toEqual([]);
    expect(again.duplicates).toBe(1);
    expect(again.state.eventCount).toBe(1);

    const sameBatch = applyRecordsToCustomer(
      undefined,
      [viewShoes(1, 'twice'), viewShoes(2, 'twice')],
      journeys,
    );
    expect(sameBatch.actions).toHaveLength(1);
    expect(sameBatch).toMatchObject({ applied: 1, duplicates: 1 });
  });

  it('derives action ids deterministically, distinct per journey, customer and message', () => {
    const both = compileConsentingJourneys([shoesJourney, anyViewJourney]);
    const idsFor = (customerId: string, messageId: string) =>
      applyRecordsToCustomer(
        undefined,
        [at(1, { event: 'Product Viewed', messageId, customerId, properties: { category: 'shoes' } })],
        both,
      ).actions.map((a) => a.actionId);

    const once = idsFor('alice', 'm-1');
    expect(idsFor('alice', 'm-1')).toEqual(once);
    expect(once).toHaveLength(2);
    for (const id of once) expect(id).toMatch(/^[a-f0-9]{32}$/);

    const all = [...once, ...idsFor('bob', 'm-1'), ...idsFor('alice', 'm-2')];
    expect(new Set(all).size).toBe(6);
  });

  it('does not confuse ids whose parts only differ by where they are split', () => {
    // A naive concatenation would give 'ab' + 'c' === 'a' + 'bc'.
    expect(actionIdFor('t', 'ab', 'c', 'm', 's')).not.toBe(actionIdFor('t', 'a', 'bc', 'm', 's'));
  });

  it(`keeps only the last ${RECENT_MESSAGE_IDS_KEPT} message ids, newest last`, () => {
    const total = RECENT_MESSAGE_IDS_KEPT + 150;
    const records = Array.from({ length: total }, (_, i) =>
      at(i, { event: 'Page Viewed', messageId: `m-${i}` }),
    );
    const { state } = applyRecordsToCustomer(undefined, records, journeys);

    expect(state.recentMessageIds).toHaveLength(RECENT_MESSAGE_IDS_KEPT);
    expect(state.recentMessageIds[0]).toBe(`m-${total - RECENT_MESSAGE_IDS_KEPT}`);
    expect(state.recentMessageIds.at(-1)).toBe(`m-${total - 1}`);
    expect(CustomerState.safeParse(state).success).toBe(true);

    // Across many small batches too.
    let stored: CustomerState | undefined;
    for (const record of records) stored = applyRecordsToCustomer(stored, [record], journeys).state;
    expect(stored?.recentMessageIds).toEqual(state.recentMessageIds);
  });

  it('tracks the earliest and latest event time even when events arrive out of order', () => {
    const records = [
      at(1, { event: 'Page Viewed', messageId: 'a', timestamp: '2024-05-01T10:00:00Z' }),
      at(2, { event: 'Page Viewed', messageId: 'b', timestamp: '2024-04-30T08:00:00Z' }),
      at(3, { event: 'Page Viewed', messageId: 'c', timestamp: '2024-05-02T09:00:00Z' }),
      at(4, { event: 'Page Viewed', messageId: 'd', timestamp: '2024-05-01T11:00:00Z' }),
    ];
    const { state } = applyRecordsToCustomer(undefined, records, journeys);
    expect(state.firstSeenAt).toBe('2024-04-30T08:00:00Z');
    expect(state.lastSeenAt).toBe('2024-05-02T09:00:00Z');

    const later = applyRecordsToCustomer(
      state,
      [at(5, { event: 'Page Viewed', messageId: 'e', timestamp: '2024-04-01T00:00:00Z' })],
      journeys,
    );
    expect(later.state.firstSeenAt).toBe('2024-04-01T00:00:00Z');
    expect(later.state.lastSeenAt).toBe('2024-05-02T09:00:00Z');
  });

  it('compares event times as instants, whatever their offsets', () => {
    // 10:00+02:00 is 08:00Z: earlier than 09:00Z although it sorts after it as a string.
    const { state } = applyRecordsToCustomer(
      undefined,
      [
        at(1, { event: 'Page Viewed', messageId: 'a', timestamp: '2024-05-01T09:00:00Z' }),
        at(2, { event: 'Page Viewed', messageId: 'b', timestamp: '2024-05-01T10:00:00+02:00' }),
      ],
      journeys,
    );
    expect(state.firstSeenAt).toBe('2024-05-01T10:00:00+02:00');
    expect(state.lastSeenAt).toBe('2024-05-01T09:00:00Z');
  });

  it('uses receivedAt as the event time when the event carries no timestamp', () => {
    const { state } = applyRecordsToCustomer(
      undefined,
      [
        at(1, { event: 'Page Viewed', messageId: 'a', receivedAt: '2024-05-03T00:00:00.000Z' }),
        at(2, { event: 'Page Viewed', messageId: 'b', timestamp: '2024-05-01T00:00:00Z' }),
      ],
      journeys,
    );
    expect(state.firstSeenAt).toBe('2024-05-01T00:00:00Z');
    expect(state.lastSeenAt).toBe('2024-05-03T00:00:00.000Z');
  });

  it('counts applied records and duplicates, and the events seen over time', () => {
    const first = applyRecordsToCustomer(
      undefined,
      [viewShoes(1), viewShoes(2), viewShoes(3, 'm-1')],
      journeys,
    );
    expect(first).toMatchObject({ applied: 2, duplicates: 1 });
    expect(first.state.eventCount).toBe(2);

    const second = applyRecordsToCustomer(first.state, [viewShoes(2), viewShoes(4), viewShoes(5)], journeys);
    expect(second).toMatchObject({ applied: 2, duplicates: 1 });
    expect(second.state.eventCount).toBe(4);
    expect(second.state.appliedSequence).toBe(seq(5));
  });

  it('returns the previous state untouched for an empty batch, and refuses to invent one', () => {
    const { state } = applyRecordsToCustomer(undefined, [viewShoes(1)], journeys);
    expect(applyRecordsToCustomer(state, [], journeys)).toEqual({
      state,
      ...noEffects(),
      consent: { history: [], withdrawn: false },
      applied: 0,
      duplicates: 0,
      forwards: [],
    });
    expect(() => applyRecordsToCustomer(undefined, [], journeys)).toThrow(/needs a state or a record/);
  });

  it('leaves the version to the store that writes the state', () => {
    const { state } = applyRecordsToCustomer(undefined, [viewShoes(1)], journeys);
    const next = applyRecordsToCustomer({ ...state, version: 7 }, [viewShoes(2)], journeys);
    expect(next.state.version).toBe(7);
  });
});

// ---------------------------------------------------------------------------------------------
// Redelivery properties
// ---------------------------------------------------------------------------------------------

const propertyJourneys: PublishedJourneys = compileConsentingJourneys([
  shoesJourney,
  bigOrderJourney,
  welcomeOnceJourney,
  anyViewJourney,
  pausedJourney,
]);

const eventSpecArb = fc.record({
  event: fc.constantFrom('Product Viewed', 'Order Completed', 'Signed Up', 'Page Viewed'),
  category: fc.constantFrom('shoes', 'bags'),
  total: fc.integer({ min: 0, max: 200 }),
  // A small pool, so some messages are repeated by the sender (SDK retries).
  messageNumber: fc.integer({ min: 0, max: 40 }),
  timestamp: fc.option(
    fc
      .integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2024, 11, 31) })
      .map((ms) => new Date(ms).toISOString()),
    { nil: undefined },
  ),
  // Kinesis sequence numbers grow, with gaps.
  gap: fc.integer({ min: 1, max: 1_000_000 }),
});

/**
 * Records in stream order. At most RECENT_MESSAGE_IDS_KEPT records, so a repeated message is
 * always within the remembered window (see the test below for what happens beyond it).
 */
const recordsArb = fc.array(eventSpecArb, { minLength: 1, maxLength: 60 }).map((specs) => {
  let position = KINESIS_BASE;
  return specs.map((spec): SequencedRecord => {
    position += BigInt(spec.gap) * 10_000_000_000n;
    return {
      sequenceNumber: position.toString(),
      record: eventRecord({
        event: spec.event,
        messageId: `msg-${spec.messageNumber}`,
        properties: { category: spec.category, total: spec.total },
        ...(spec.timestamp === undefined ? {} : { timestamp: spec.timestamp }),
      }),
    };
  });
});

const byActionId = (actions: readonly ActionIntent[]) =>
  [...actions].sort((a, b) => a.actionId.localeCompare(b.actionId));

/**
 * One Lambda invocation of a batch that may fail part-way: records `[start, end)` are applied
 * and saved, then a retry starts again at or before that point (Lambda resends from the lowest
 * failed record, and a whole-batch retry resends from the start).
 */
const attemptArb = fc.record({ restart: fc.nat(), progress: fc.nat() });

const deliveryPlanArb = fc.record({
  cuts: fc.array(fc.nat(), { maxLength: 10 }),
  attemptsPerBatch: fc.array(fc.array(attemptArb, { maxLength: 3 }), { maxLength: 12 }),
});

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

describe('applyRecordsToCustomer under redelivery', () => {
  it('changes nothing and fires nothing when the same records are delivered twice', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const once = applyRecordsToCustomer(undefined, records, propertyJourneys);
        const twice = applyRecordsToCustomer(once.state, records, propertyJourneys);
        expect(twice.state).toEqual(once.state);
        expect(twice.actions).toEqual([]);
        expect(twice.applied).toBe(0);
        expect(twice.duplicates).toBe(records.length);
      }),
    );
  });

  it('reaches the same state and fires each action once, however batches are split and retried', () => {
    fc.assert(
      fc.property(recordsArb, deliveryPlanArb, (records, plan) => {
        const clean = applyRecordsToCustomer(undefined, records, propertyJourneys);

        let state: CustomerState | undefined;
        const fired: ActionIntent[] = [];
        const deliver = (slice: readonly SequencedRecord[]) => {
          if (slice.length === 0) return;
          const outcome = applyRecordsToCustomer(state, slice, propertyJourneys);
          state = outcome.state;
          fired.push(...outcome.actions);
        };

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

        expect(state).toEqual(clean.state);
        const firedIds = fired.map((action) => action.actionId);
        expect(new Set(firedIds).size).toBe(firedIds.length);
        expect(byActionId(fired)).toEqual(byActionId(clean.actions));
      }),
    );
  });

  // The window of remembered message ids slides per record, so batch boundaries (Lambda's, or
  // the processor's own re-slicing of batches that fire many actions) cannot change the outcome.
  it('decides about a repeated message the same way whether or not a batch boundary falls between', () => {
    const gap = RECENT_MESSAGE_IDS_KEPT + 10;
    const records = [
      viewShoes(0, 'retried-late'),
      ...Array.from({ length: gap }, (_, i) => at(i + 1, { event: 'Page Viewed', messageId: `filler-${i}` })),
      viewShoes(gap + 1, 'retried-late'),
    ];
    const oneBatch = applyRecordsToCustomer(undefined, records, propertyJourneys);
    const first = applyRecordsToCustomer(undefined, records.slice(0, -1), propertyJourneys);
    const second = applyRecordsToCustomer(first.state, records.slice(-1), propertyJourneys);

    expect(second.state).toEqual(oneBatch.state);
    expect(first.actions.length + second.actions.length).toBe(oneBatch.actions.length);
  });
});
