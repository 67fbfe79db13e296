import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { dynamo, resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import {
  actionSortKey,
  customerPartition,
  listActions,
  loadCustomerState,
  MAX_ITEMS_PER_WRITE,
  saveCustomerOutcome,
} from '../../lambdas/adapters/customer-store.js';
import { putRecordsDurably } from '../../lambdas/adapters/event-stream.js';
import { CUSTOMERS_TABLE } from '../../lambdas/adapters/table-design.js';
import { timerBucketOf, timerSortKey } from '../../lambdas/adapters/timer-items.js';
import { dueTimers } from '../../lambdas/adapters/timer-queue.js';
import type { ActionIntent } from '../../lambdas/core/engine.js';
import { applyRecordsToCustomer, compileJourneys, messageIdKey } from '../../lambdas/core/engine.js';
import { VersionConflictError } from '../../lambdas/core/errors.js';
import { processKinesisBatch } from '../../lambdas/processor/process-batch.js';
import { handler as sweeper } from '../../lambdas/sweeper/handler.js';
import {
  DEFAULT_TIMER_SWEEP_LIMITS,
  markTimersFired,
  putTimerFirings,
  sweepDueTimers,
} from '../../lambdas/sweeper/sweep-timers.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import type { JourneyInput } from '../../schemas/journey.js';
import {
  type CallRecord,
  partitionKeyOf,
  StreamRecord,
  type TimerRecord,
  timerFiredRecord,
} from '../../schemas/stream-record.js';
import type { Timer } from '../../schemas/timer.js';
import { cartReminderIntent } from './support/actions.js';
import { pointAdaptersAt } from './support/adapters.js';
import { startDynamoProxy } from './support/dynamo-proxy.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { seedTenant } from './support/seed.js';

/**
 * Durable waits: timer items written with the customer's state, swept from the `timer-due`
 * index into the stream, and applied once by the processor. Every test has tables and a stream
 * of its own, because the sweeper sweeps the whole table.
 */

let proxy: Awaited<ReturnType<typeof startDynamoProxy>>;
let resources: FreshResources;

beforeAll(async () => {
  // Every DynamoDB call goes through a recording proxy: the tests check that no Scan is made.
  proxy = await startDynamoProxy(inject('awsEnv').AWS_ENDPOINT_URL_DYNAMODB);
});

beforeEach(async () => {
  resources = await freshResources('timers');
  pointAdaptersAt(resources, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
});

afterEach(async () => {
  expect(proxy.requests.map(({ operation }) => operation)).not.toContain('Scan');
  await deleteResources(resources);
});

afterAll(async () => {
  resetClientsForTests();
  await proxy?.close();
});

const tenantId = 'acme';
const now = new Date('2030-06-01T12:00:00.000Z');
const secondsFromNow = (seconds: number) => new Date(now.getTime() + seconds * 1_000).toISOString();
const newCustomer = () => `user-${randomUUID()}`;

function emptyState(customerId: string): CustomerState {
  return {
    tenantId,
    customerId,
    version: 0,
    recentMessageIds: [],
    eventCount: 0,
    firstSeenAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    journeys: {},
  };
}

function timerOf(customerId: string, dueAt: string, timerId = `timer-${randomUUID()}`): Timer {
  return { timerId, tenantId, customerId, instanceId: `instance-${randomUUID()}`, dueAt };
}

const actionOf = (customerId: string): ActionIntent =>
  cartReminderIntent(tenantId, customerId, now.toISOString());

/** A new customer whose state is written with these timers pending. */
async function customerWithTimers(dueTimes: string[]): Promise<{ customerId: string; timers: Timer[] }> {
  const customerId = newCustomer();
  const timers = dueTimes.map((dueAt) => timerOf(customerId, dueAt));
  await saveCustomerOutcome(undefined, emptyState(customerId), [], { set: timers, cancel: [] });
  return { customerId, timers };
}

async function timerItem(timer: Pick<Timer, 'customerId' | 'timerId'>) {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: resources.customersTable,
      Key: { pk: customerPartition(tenantId, timer.customerId), sk: timerSortKey(timer.timerId) },
      ConsistentRead: true,
    }),
  );
  return Item;
}

const decode = (record: KinesisStreamRecord) =>
  StreamRecord.parse(JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')));

/** The timer records in the test's stream, decoded. */
async function timerRecords() {
  return (await readAllRecords(resources.eventsStream)).flatMap((record) => {
    const decoded = decode(record);
    return decoded.kind === 'timer' ? [{ record, decoded }] : [];
  });
}

/** Sweeps as the schedule would, run after run, until a run fires nothing. */
async function sweepUntilIdle(limits = DEFAULT_TIMER_SWEEP_LIMITS, at = now) {
  const runs = [];
  for (;;) {
    const report = await sweepDueTimers(at, limits);
    runs.push(report);
    if (report.fired === 0) return runs;
    if (runs.length > 50) throw new Error('the sweep does not settle');
  }
}

describe('saveCustomerOutcome with timers', () => {
  it('writes the timers with the state, in the due index of their bucket, expiring a week after due', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(60), secondsFromNow(3_600)]);

    for (const timer of timers) {
      expect(await timerItem(timer)).toEqual({
        pk: customerPartition(tenantId, customerId),
        sk: `TIMER#${timer.timerId}`,
        timer,
        timerQueue: `timers#${timerBucketOf(timer.timerId)}`,
        dueAt: timer.dueAt,
        expiresAt: Date.parse(timer.dueAt) / 1_000 + 7 * 86_400,
      });
    }
    expect((await loadCustomerState(tenantId, customerId))?.version).toBe(1);
  });

  it('cancels no timer when the state changed since it was read; a timer armed before the failed write is stale and changes nothing', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(60)]);
    const [pending] = timers as [Timer];
    const armed = timerOf(customerId, secondsFromNow(120));

    const stale = saveCustomerOutcome(0, emptyState(customerId), [actionOf(customerId)], {
      set: [armed],
      cancel: [pending.timerId],
    });
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);

    // The cancelled timer stays until a write commits; the armed one was put ahead of the state.
    expect(await timerItem(pending)).toMatchObject({ timer: pending });
    expect(await timerItem(armed)).toMatchObject({ timer: armed });
    expect(await listActions(tenantId, customerId)).toEqual([]);
    expect((await loadCustomerState(tenantId, customerId))?.version).toBe(1);
    // The state waits for no such timer: when it fires, the engine ignores it and deletes it.
    const ignored = applyRecordsToCustomer(
      await loadCustomerState(tenantId, customerId),
      [{ sequenceNumber: '9', record: timerFiredRecord(armed, armed.dueAt) }],
      compileJourneys([]),
    );
    expect(ignored).toMatchObject({ actions: [], timers: { set: [], cancel: [armed.timerId] } });
  });

  it('deletes cancelled timers, and cancelling one that is gone changes nothing', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(60), secondsFromNow(120)]);
    const [cancelled, kept] = timers as [Timer, Timer];

    await saveCustomerOutcome(1, emptyState(customerId), [], {
      set: [],
      cancel: [cancelled.timerId, 'timer-that-never-was'],
    });

    expect(await timerItem(cancelled)).toBeUndefined();
    expect(await timerItem(kept)).toMatchObject({ timer: kept });
    expect(await timerItem({ customerId, timerId: 'timer-that-never-was' })).toBeUndefined();
  });

  it('skips an action that exists already and still writes the new action and the timers', async () => {
    const customerId = newCustomer();
    const existing = actionOf(customerId);
    await saveCustomerOutcome(undefined, emptyState(customerId), [existing]);
    // The dispatcher has delivered it since: a second write must leave it as it is.
    const actionKey = { pk: customerPartition(tenantId, customerId), sk: actionSortKey(existing) };
    await dynamo().send(
      new UpdateCommand({
        TableName: resources.customersTable,
        Key: actionKey,
        UpdateExpression: 'SET #a.delivery.#s = :delivered',
        ExpressionAttributeNames: { '#a': 'action', '#s': 'status' },
        ExpressionAttributeValues: { ':delivered': 'delivered' },
      }),
    );
    const fresh = actionOf(customerId);
    const [armed, another] = [
      timerOf(customerId, secondsFromNow(60)),
      timerOf(customerId, secondsFromNow(90)),
    ];

    // The existing action sits between a new one and the timers: its cancellation reason must be
    // matched to it, not to a timer.
    await saveCustomerOutcome(1, emptyState(customerId), [fresh, existing], {
      set: [armed, another],
      cancel: [],
    });

    const { Item } = await dynamo().send(
      new GetCommand({ TableName: resources.customersTable, Key: actionKey, ConsistentRead: true }),
    );
    expect(Item?.action.delivery.status).toBe('delivered');
    const { Item: freshItem } = await dynamo().send(
      new GetCommand({
        TableName: resources.customersTable,
        Key: { pk: actionKey.pk, sk: actionSortKey(fresh) },
        ConsistentRead: true,
      }),
    );
    expect(freshItem?.action).toMatchObject({ actionId: fresh.actionId, delivery: { status: 'pending' } });
    expect(await timerItem(armed)).toMatchObject({ timer: armed });
    expect(await timerItem(another)).toMatchObject({ timer: another });
    expect((await loadCustomerState(tenantId, customerId))?.version).toBe(2);
  });

  it(`writes ${MAX_ITEMS_PER_WRITE} items (state and actions) in one transaction, and refuses one more; timers around it`, async () => {
    const customerId = newCustomer();
    const actions = Array.from({ length: 99 }, () => actionOf(customerId));
    const timers = Array.from({ length: 60 }, (_, i) => timerOf(customerId, secondsFromNow(i)));
    const before = proxy.requests.length;

    await saveCustomerOutcome(undefined, emptyState(customerId), actions, { set: timers, cancel: [] });

    // 60 timers in BatchWriteItem calls of 25, before the state and the actions.
    const writes = proxy.requests.slice(before).map(({ operation }) => operation);
    expect(writes).toEqual(['BatchWriteItem', 'BatchWriteItem', 'BatchWriteItem', 'TransactWriteItems']);
    for (const timer of timers) expect(await timerItem(timer)).toMatchObject({ timer });
    expect(await listActions(tenantId, customerId, 200)).toHaveLength(99);

    // The state and 100 actions: 101 items.
    const oneTooMany = saveCustomerOutcome(
      1,
      emptyState(customerId),
      Array.from({ length: 100 }, () => actionOf(customerId)),
      { set: [], cancel: timers.map(({ timerId }) => timerId) },
    );
    const beforeRefusal = proxy.requests.length;
    await expect(oneTooMany).rejects.toThrow(RangeError);
    expect(proxy.requests.length).toBe(beforeRefusal);
    expect(await timerItem(timers[0] as Timer)).toMatchObject({ timer: timers[0] });
  });
});

describe('the timer sweep', () => {
  it('puts exactly the due timers into the stream under their customer’s key, then takes them out of the index', async () => {
    const claire = await customerWithTimers([secondsFromNow(-30), secondsFromNow(0), secondsFromNow(60)]);
    const malik = await customerWithTimers([secondsFromNow(-3_600), secondsFromNow(86_400)]);
    const due = [claire.timers[0], claire.timers[1], malik.timers[0]] as Timer[];
    const future = [claire.timers[2], malik.timers[1]] as Timer[];

    const report = await sweepDueTimers(now);

    expect(report).toEqual({ fired: 3, notMarked: 0, quarantined: 0, bucketsContinuedNextRun: 0 });
    const records = await timerRecords();
    expect(records.map(({ decoded }) => decoded.kind === 'timer' && decoded.timerId).sort()).toEqual(
      due.map(({ timerId }) => timerId).sort(),
    );
    for (const timer of due) {
      const found = records.find(
        ({ decoded }) => decoded.kind === 'timer' && decoded.timerId === timer.timerId,
      );
      expect(found?.decoded).toEqual({
        kind: 'timer',
        tenantId,
        customerId: timer.customerId,
        receivedAt: now.toISOString(),
        timerId: timer.timerId,
        instanceId: timer.instanceId,
        dueAt: timer.dueAt,
      });
      expect(found?.record.kinesis.partitionKey).toBe(partitionKeyOf(tenantId, timer.customerId));

      const item = await timerItem(timer);
      expect(item).toMatchObject({ timer, dueAt: timer.dueAt, firedAt: now.toISOString() });
      expect(item).not.toHaveProperty('timerQueue');
    }
    for (const timer of future) {
      expect(await timerItem(timer)).toMatchObject({ timerQueue: `timers#${timerBucketOf(timer.timerId)}` });
    }

    expect(await sweepDueTimers(now)).toMatchObject({ fired: 0 });
    expect(await timerRecords()).toHaveLength(3);
  });

  it('fires a timer once its due time has come, and a re-armed timer at its new time', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(30)]);
    const timer = timers[0] as Timer;
    expect(await sweepDueTimers(now)).toMatchObject({ fired: 0 });
    // The engine moves the wait later before it was due: same id, new due time.
    const rearmed = { ...timer, dueAt: secondsFromNow(90) };
    await saveCustomerOutcome(1, emptyState(customerId), [], { set: [rearmed], cancel: [] });

    expect(await sweepDueTimers(new Date(now.getTime() + 60_000))).toMatchObject({ fired: 0 });
    expect(await sweepDueTimers(new Date(now.getTime() + 90_000))).toMatchObject({ fired: 1 });
    expect((await timerRecords()).map(({ decoded }) => decoded)).toEqual([
      expect.objectContaining({ timerId: timer.timerId, dueAt: rearmed.dueAt }),
    ]);
  });

  it('loses nothing when a run dies before its put: the next run fires the timers once', async () => {
    const { timers } = await customerWithTimers([secondsFromNow(-5), secondsFromNow(-1)]);
    // The dying run got as far as reading the due timers.
    const buckets = new Set(timers.map(({ timerId }) => timerBucketOf(timerId)));
    for (const bucket of buckets) expect((await dueTimers(bucket, now, 10)).due.length).toBeGreaterThan(0);

    expect(await sweepDueTimers(now)).toMatchObject({ fired: 2 });
    expect(await timerRecords()).toHaveLength(2);
  });

  it('puts a timer again when a run dies between the put and the mark, and the processor applies it once', async () => {
    const customers = await Promise.all([0, 1, 2].map(() => customerWithTimers([secondsFromNow(-10)])));
    const timers = customers.flatMap(({ timers }) => timers);
    // The run that dies: every due timer's record is put, none is marked fired.
    for (let bucket = 0; bucket < CUSTOMERS_TABLE.timerBuckets; bucket += 1) {
      await putTimerFirings((await dueTimers(bucket, now, 100)).due, now);
    }
    for (const timer of timers) expect(await timerItem(timer)).toHaveProperty('timerQueue');

    // The next run, a minute later, finds them still due: it puts them again and marks them.
    const nextRun = new Date(now.getTime() + 60_000);
    expect(await sweepDueTimers(nextRun)).toMatchObject({ fired: 3, notMarked: 0 });
    expect(await sweepDueTimers(nextRun)).toMatchObject({ fired: 0 });
    const records = await timerRecords();
    expect(records).toHaveLength(6);

    const { batchItemFailures, summary } = await processKinesisBatch(records.map(({ record }) => record));

    expect(batchItemFailures).toEqual([]);
    expect(summary).toMatchObject({ customers: 3, applied: 3, duplicates: 3 });
    for (const {
      customerId,
      timers: [timer],
    } of customers) {
      const state = await loadCustomerState(tenantId, customerId);
      expect(state?.recentMessageIds.filter((id) => id === messageIdKey(timer?.timerId ?? ''))).toHaveLength(
        1,
      );
      // Written once by its creation, once by the timer's record: the repeat wrote nothing.
      expect(state?.version).toBe(2);
      // The processor deleted the fired timer's item when it applied its record.
      expect(await timerItem(timer as Timer)).toBeUndefined();
    }
  });

  it('does not bring back a timer the processor deleted after the sweep read it', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(-10)]);
    const timer = timers[0] as Timer;
    const page = await dueTimers(timerBucketOf(timer.timerId), now, 10);
    await putTimerFirings(page.due, now);
    // The record is applied (the item deleted) before this run gets to mark it.
    await saveCustomerOutcome(1, emptyState(customerId), [], { set: [], cancel: [timer.timerId] });

    expect(await markTimersFired(page.due, now)).toEqual({ marked: 0, notMarked: 1 });
    expect(await timerItem(timer)).toBeUndefined();
  });

  it('sweeps more due timers than one run takes over the next runs, oldest first, each once', async () => {
    const limits = { perBucket: 3, perPage: 2, concurrentMarks: 4 };
    const customers = await Promise.all(
      Array.from({ length: 10 }, (_, c) =>
        customerWithTimers(Array.from({ length: 10 }, (_, i) => secondsFromNow(-1_000 + i * 10 + c))),
      ),
    );
    const timers = customers.flatMap(({ timers }) => timers);

    const first = await sweepDueTimers(now, limits);

    expect(first.fired).toBeLessThanOrEqual(limits.perBucket * CUSTOMERS_TABLE.timerBuckets);
    expect(first.bucketsContinuedNextRun).toBeGreaterThan(0);
    // In every bucket, the run took the oldest: nothing it left is due before what it fired.
    const fired = new Set((await timerRecords()).map(({ decoded }) => (decoded as TimerRecord).timerId));
    expect(fired.size).toBe(first.fired);
    for (let bucket = 0; bucket < CUSTOMERS_TABLE.timerBuckets; bucket += 1) {
      const inBucket = timers.filter(({ timerId }) => timerBucketOf(timerId) === bucket);
      const latestFired = inBucket
        .filter((t) => fired.has(t.timerId))
        .map((t) => t.dueAt)
        .sort()
        .at(-1);
      const earliestLeft = inBucket
        .filter((t) => !fired.has(t.timerId))
        .map((t) => t.dueAt)
        .sort()[0];
      if (latestFired !== undefined && earliestLeft !== undefined) {
        expect(latestFired <= earliestLeft).toBe(true);
      }
    }

    const runs = [first, ...(await sweepUntilIdle(limits))];
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.reduce((sum, run) => sum + run.fired, 0)).toBe(100);
    expect(runs.at(-1)).toMatchObject({ fired: 0, bucketsContinuedNextRun: 0 });
    const ids = (await timerRecords()).map(({ decoded }) => (decoded as TimerRecord).timerId);
    expect(ids).toHaveLength(100);
    expect(new Set(ids)).toEqual(new Set(timers.map(({ timerId }) => timerId)));
  });

  it('takes an unreadable timer out of the index without firing it, so its bucket keeps moving', async () => {
    const { customerId, timers } = await customerWithTimers([secondsFromNow(-20), secondsFromNow(-10)]);
    const [broken, sound] = timers as [Timer, Timer];
    await dynamo().send(
      new UpdateCommand({
        TableName: resources.customersTable,
        Key: { pk: customerPartition(tenantId, customerId), sk: timerSortKey(broken.timerId) },
        UpdateExpression: 'REMOVE #t.instanceId',
        ExpressionAttributeNames: { '#t': 'timer' },
      }),
    );

    expect(await sweepDueTimers(now)).toMatchObject({ fired: 1, quarantined: 1 });

    expect((await timerRecords()).map(({ decoded }) => decoded)).toEqual([
      expect.objectContaining({ timerId: sound.timerId }),
    ]);
    const item = await timerItem(broken);
    expect(item).toMatchObject({ quarantinedAt: now.toISOString() });
    expect(item).not.toHaveProperty('timerQueue');
    expect(await sweepDueTimers(now)).toMatchObject({ fired: 0, quarantined: 0 });
  });
});

describe('the sweeper function', () => {
  it('fires the timers due by the wall clock, beside the delivery sweep', async () => {
    const { timers } = await customerWithTimers([new Date(Date.now() - 1_000).toISOString()]);

    const result = await sweeper(undefined as never, {} as Context);

    expect(result).toMatchObject({ timers: { fired: 1 }, deliveries: { due: 0 } });
    expect((await timerRecords()).map(({ decoded }) => decoded)).toEqual([
      expect.objectContaining({ timerId: timers[0]?.timerId }),
    ]);
  });
});

describe('a journey that waits', () => {
  /** Twelve journeys that each wait an hour, then act; ten live instances of each at most. */
  const waitingJourneys: JourneyInput[] = Array.from({ length: 12 }, (_, n) => ({
    id: `wait-then-remind-${n}`,
    name: `Wait, then remind (${n})`,
    status: 'published',
    entry: { kind: 'event', event: 'tick' },
    reentry: { mode: 'always' },
    maxConcurrentInstances: 10,
    start: 'wait',
    steps: {
      wait: { type: 'wait', duration: '1h', next: 'remind' },
      remind: { type: 'action', action: { id: 'send-reminder' } },
    },
  }));

  const tick = (customerId: string): CallRecord => ({
    kind: 'call',
    tenantId,
    customerId,
    receivedAt: now.toISOString(),
    call: {
      type: 'track',
      userId: customerId,
      event: 'tick',
      properties: {},
      messageId: randomUUID(),
      timestamp: now.toISOString(),
      receivedAt: now.toISOString(),
      channel: 'server',
      context: {},
    },
  });

  type TransactItem = Record<string, { Item?: { sk: { S: string } }; Key?: { sk: { S: string } } }>;
  const transactions = (since: number) =>
    proxy.requests
      .slice(since)
      .filter(({ operation }) => operation === 'TransactWriteItems')
      .map(({ body }) => (JSON.parse(body) as { TransactItems: TransactItem[] }).TransactItems);
  /** Items per TransactWriteItems since `since`: each must fit DynamoDB's 100. */
  const transactionSizes = (since: number) => transactions(since).map((items) => items.length);
  /** Sort keys written per transaction since `since`. */
  const sortKeysWritten = (since: number) =>
    transactions(since).map((items) =>
      items.map((item) => {
        const [write] = Object.values(item);
        return write?.Item?.sk.S ?? write?.Key?.sk.S ?? '';
      }),
    );

  type BatchRequest = {
    PutRequest?: { Item: { sk: { S: string } } };
    DeleteRequest?: { Key: { sk: { S: string } } };
  };
  /** Sort keys put and deleted by BatchWriteItem since `since`. */
  const batchWritten = (since: number) =>
    proxy.requests
      .slice(since)
      .filter(({ operation }) => operation === 'BatchWriteItem')
      .flatMap(({ body }) =>
        Object.values(
          (JSON.parse(body) as { RequestItems: Record<string, BatchRequest[]> }).RequestItems,
        ).flat(),
      )
      .map((request) => request.PutRequest?.Item.sk.S ?? `delete ${request.DeleteRequest?.Key.sk.S}`);

  it('arms 120 timers and fires 120 reminders an hour later, in transactions of at most 100 items', async () => {
    await seedTenant({ tenantId, journeys: waitingJourneys });
    const customerId = newCustomer();
    await putRecordsDurably(Array.from({ length: 10 }, () => tick(customerId)));
    const ticks = await readAllRecords(resources.eventsStream);
    let since = proxy.requests.length;

    // 10 events × 12 journeys: 120 timers, put in batches of 25 around one write of the state.
    expect(await processKinesisBatch(ticks)).toMatchObject({
      batchItemFailures: [],
      summary: { applied: 10 },
    });

    const stateWrites = proxy.requests
      .slice(since)
      .filter(
        ({ operation, body }) =>
          ['PutItem', 'TransactWriteItems'].includes(operation) && body.includes('"STATE"'),
      );
    expect(stateWrites).toHaveLength(1);
    const timersPut = batchWritten(since).filter((sk) => sk.startsWith('TIMER#'));
    expect(timersPut).toHaveLength(120);
    expect(
      sortKeysWritten(since)
        .flat()
        .filter((sk) => sk.startsWith('TIMER#')),
    ).toEqual([]);
    expect(await timerItemsOf(customerId)).toHaveLength(120);

    expect(await sweepDueTimers(new Date(now.getTime() + 3_599_000))).toMatchObject({ fired: 0 });
    expect(await sweepDueTimers(new Date(now.getTime() + 3_600_000))).toMatchObject({ fired: 120 });
    const fired = (await timerRecords()).map(({ record }) => record);
    since = proxy.requests.length;

    // Each timer's record fires a reminder (its action and its decision: 240 items, more than one
    // transaction holds, so several writes) and deletes the timer's item after its write.
    expect(await processKinesisBatch(fired)).toMatchObject({
      batchItemFailures: [],
      summary: { applied: 120 },
    });

    const sizes = transactionSizes(since);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_ITEMS_PER_WRITE);
    expect(batchWritten(since).filter((sk) => sk.startsWith('delete TIMER#'))).toHaveLength(120);
    expect(await timerItemsOf(customerId)).toEqual([]);
    const reminders = await listActions(tenantId, customerId, 1_000);
    expect(reminders).toHaveLength(120);
    expect(new Set(reminders.map(({ journeyId }) => journeyId)).size).toBe(12);

    // A replay of the timers' records changes nothing.
    expect(await processKinesisBatch(fired)).toMatchObject({ summary: { applied: 0, duplicates: 120 } });
    expect(await listActions(tenantId, customerId, 1_000)).toHaveLength(120);
  });

  it('gives the same state, timers and reminders when the processor dies between its timers and its state', async () => {
    await seedTenant({ tenantId, journeys: waitingJourneys });
    const customerId = newCustomer();
    await putRecordsDurably([tick(customerId)]);
    const ticks = await readAllRecords(resources.eventsStream);
    // The first attempt puts the 12 timers, then its state write fails: the batch is retried.
    proxy.failNext('TransactWriteItems', '"STATE"', customerPartition(tenantId, customerId));
    const first = await processKinesisBatch(ticks);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await loadCustomerState(tenantId, customerId)).toBeUndefined();
    const armedBefore = (await timerItemsOf(customerId)).map((item) => item.sk).sort();
    expect(armedBefore).toHaveLength(12);

    expect(await processKinesisBatch(ticks)).toMatchObject({
      batchItemFailures: [],
      summary: { applied: 1 },
    });
    expect(await loadCustomerState(tenantId, customerId)).toMatchObject({ eventCount: 1, version: 1 });
    // The retry armed the same timers (same ids): none twice.
    expect((await timerItemsOf(customerId)).map((item) => item.sk).sort()).toEqual(armedBefore);

    expect(await sweepDueTimers(new Date(now.getTime() + 3_600_000))).toMatchObject({ fired: 12 });
    expect(await processKinesisBatch((await timerRecords()).map(({ record }) => record))).toMatchObject({
      batchItemFailures: [],
      summary: { applied: 12 },
    });
    const reminders = await listActions(tenantId, customerId);
    expect(reminders).toHaveLength(12);
    expect(new Set(reminders.map(({ journeyId }) => journeyId)).size).toBe(12);
    expect(await timerItemsOf(customerId)).toEqual([]);
  });

  it('leaves only a harmless timer when the processor dies after its state, before deleting a cancelled one', async () => {
    const waitOrStop: JourneyInput = {
      ...(waitingJourneys[0] as JourneyInput),
      id: 'wait-unless-stopped',
      exitWhen: [{ event: 'stop' }],
    };
    await seedTenant({ tenantId, journeys: [waitOrStop] });
    const customerId = newCustomer();
    const started = tick(customerId);
    await putRecordsDurably([started]);
    await processKinesisBatch(await readAllRecords(resources.eventsStream));
    expect(await timerItemsOf(customerId)).toHaveLength(1);

    // The exit cancels the wait; the state is written, then the processor dies before the delete.
    const stop = tick(customerId);
    if (stop.call.type === 'track') stop.call.event = 'stop';
    await putRecordsDurably([stop]);
    const stopRecords = (await readAllRecords(resources.eventsStream)).filter((record) => {
      const decoded = decode(record);
      return decoded.kind === 'call' && decoded.call.messageId === stop.call.messageId;
    });
    expect(stopRecords).toHaveLength(1);
    proxy.failNext('BatchWriteItem', 'DeleteRequest', customerPartition(tenantId, customerId));
    expect((await processKinesisBatch(stopRecords)).batchItemFailures).toHaveLength(1);
    expect((await loadCustomerState(tenantId, customerId))?.instances).toBeUndefined();

    // Lambda retries the batch: already applied, nothing more is written; the timer stays, stale.
    expect(await processKinesisBatch(stopRecords)).toMatchObject({ summary: { applied: 0, duplicates: 1 } });
    expect(await timerItemsOf(customerId)).toHaveLength(1);

    // It fires an hour later: the processor ignores it, deletes it, and sends nothing.
    expect(await sweepDueTimers(new Date(now.getTime() + 3_600_000))).toMatchObject({ fired: 1 });
    expect(await processKinesisBatch((await timerRecords()).map(({ record }) => record))).toMatchObject({
      batchItemFailures: [],
      summary: { actions: 0 },
    });
    expect(await timerItemsOf(customerId)).toEqual([]);
    expect(await listActions(tenantId, customerId)).toEqual([]);
  });

  it('ends the same, state, actions and timers, whichever write of the processor dies, after Lambda retries the batch', async () => {
    const waitOrStop: JourneyInput = {
      ...(waitingJourneys[0] as JourneyInput),
      id: 'wait-unless-stopped',
      exitWhen: [{ event: 'stop' }],
    };
    const greet: JourneyInput = {
      id: 'greet',
      name: 'Greet at once',
      status: 'published',
      entry: { kind: 'event', event: 'tick' },
      reentry: { mode: 'always' },
      start: 'hello',
      steps: { hello: { type: 'action', action: { id: 'say-hello' } } },
    };
    await seedTenant({ tenantId, journeys: [waitOrStop, greet] });
    // Where the processor may die: timers put, the state's write, cancelled timers deleted.
    const crashPoints = [
      ['BatchWriteItem', 'PutRequest'],
      ['PutItem', '"STATE"'],
      ['TransactWriteItems', '"STATE"'],
      ['BatchWriteItem', 'DeleteRequest'],
    ] as const;
    const event = (customerId: string, name: string, messageId: string): CallRecord => {
      const record = tick(customerId);
      if (record.call.type === 'track') record.call.event = name;
      return { ...record, call: { ...record.call, messageId } };
    };
    const recordsOf = async (customerId: string, kind: string) =>
      (await readAllRecords(resources.eventsStream)).filter((record) => {
        const decoded = decode(record);
        return decoded.customerId === customerId && decoded.kind === kind;
      });
    const outcomeOf = async (customerId: string) => {
      const state = await loadCustomerState(tenantId, customerId);
      const actions = await listActions(tenantId, customerId, 100);
      return {
        eventCount: state?.eventCount,
        journeys: state?.journeys,
        instances: Object.values(state?.instances ?? {}).map(({ journeyId, stepId }) => ({
          journeyId,
          stepId,
        })),
        // A timer's id (a reminder's cause) names the customer's instance: the same timer, not the same id.
        actions: actions
          .map(({ journeyId, action, triggeredBy }) =>
            [journeyId, action, triggeredBy.event === 'timer' ? 'timer' : triggeredBy.messageId].join('/'),
          )
          .sort(),
        timers: (await timerItemsOf(customerId)).length,
      };
    };

    for (const crashAt of crashPoints) {
      let crashed = 0;
      await fc.assert(
        fc.asyncProperty(
          // A first tick, then anything: so that waits exist to end, stop or time out.
          fc
            .array(fc.constantFrom('tick', 'stop'), { minLength: 1, maxLength: 4 })
            .map((rest) => ['tick', ...rest]),
          fc.integer({ min: 1, max: 5 }),
          async (names, batchSize) => {
            const clean = newCustomer();
            const crashy = newCustomer();
            const messageIds = names.map(() => randomUUID());
            await putRecordsDurably(names.map((name, i) => event(clean, name, messageIds[i] as string)));
            await putRecordsDurably(names.map((name, i) => event(crashy, name, messageIds[i] as string)));
            const batchesOf = (records: KinesisStreamRecord[]) =>
              Array.from({ length: Math.ceil(records.length / batchSize) }, (_, b) =>
                records.slice(b * batchSize, (b + 1) * batchSize),
              );
            for (const batch of batchesOf(await recordsOf(clean, 'call')))
              expect((await processKinesisBatch(batch)).batchItemFailures).toEqual([]);
            // The first such write of the crashy customer dies, in whichever batch it comes.
            const crash = proxy.failNext(crashAt[0], crashAt[1], customerPartition(tenantId, crashy));
            for (const batch of batchesOf(await recordsOf(crashy, 'call'))) {
              // Lambda retries a batch with failures until it goes through.
              for (
                let attempt = 1;
                (await processKinesisBatch(batch)).batchItemFailures.length > 0;
                attempt += 1
              )
                expect(attempt).toBeLessThan(3);
            }
            if (crash.happened()) crashed += 1;
            crash.cancel();
            // An hour later every wait ends: the timers' records, stale ones included, are applied.
            await sweepDueTimers(new Date(now.getTime() + 3_600_000));
            for (const customerId of [clean, crashy]) {
              const fired = await recordsOf(customerId, 'timer');
              if (fired.length > 0) expect((await processKinesisBatch(fired)).batchItemFailures).toEqual([]);
            }
            const [expected, actual] = [await outcomeOf(clean), await outcomeOf(crashy)];
            expect(actual).toEqual(expected);
            expect(actual.timers).toBe(0);
          },
        ),
        // A fixed seed: the same runs every time, among them runs where this write exists.
        { numRuns: 8, seed: 20261130 },
      );
      // Not a vacuous property: some runs did die at this write.
      expect(crashed, crashAt.join(' ')).toBeGreaterThan(0);
    }
  });

  async function timerItemsOf(customerId: string) {
    const { Items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: resources.customersTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :timers)',
        ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId), ':timers': 'TIMER#' },
        ConsistentRead: true,
      }),
    );
    return Items;
  }
});
