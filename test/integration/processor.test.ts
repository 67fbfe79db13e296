import { randomUUID } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamo, kinesis, resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { customerPartition, listActions, loadCustomerState } from '../../lambdas/adapters/customer-store.js';
import { messageIdKey } from '../../lambdas/core/engine.js';
import { actionIdFor, instanceIdFor } from '../../lambdas/core/ids.js';
import { handler as ingest } from '../../lambdas/ingest/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import { processKinesisBatch } from '../../lambdas/processor/process-batch.js';
import { partitionKeyOf } from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { startDynamoProxy } from './support/dynamo-proxy.js';
import { httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { recordsOfCustomers } from './support/stream-events.js';

let resources: FreshResources;
let proxy: Awaited<ReturnType<typeof startDynamoProxy>>;
let acme: SeededTenant;
let globex: SeededTenant;

beforeAll(async () => {
  resources = await freshResources('processor');
  // Every DynamoDB call of this file goes through a pass-through proxy: tests count the reads
  // and writes a batch costs, and put another writer between a read and its write.
  proxy = await startDynamoProxy(inject('awsEnv').AWS_ENDPOINT_URL_DYNAMODB);
  pointAdaptersAt(resources, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
  acme = await seedTenant({ tenantId: 'acme', journeys: [cartReminder] });
  globex = await seedTenant({ tenantId: 'globex', journeys: [cartReminder] });
});

afterAll(async () => {
  resetClientsForTests();
  await proxy?.close();
  await deleteResources(resources);
});

interface Call {
  userId: string;
  event: string;
  properties: Record<string, unknown>;
  messageId: string;
}

const cartAbandoned = (userId: string, total: number): Call => ({
  userId,
  event: 'cart_abandoned',
  properties: { total },
  messageId: randomUUID(),
});
const pageViewed = (userId: string): Call => ({
  userId,
  event: 'page_viewed',
  properties: { path: '/' },
  messageId: randomUUID(),
});
const newCustomer = () => `user-${randomUUID()}`;

/** Sends calls through the ingest handler, then reads back the records they became. */
async function trackThroughIngest(tenant: SeededTenant, calls: Call[]): Promise<KinesisStreamRecord[]> {
  const response = await ingest(
    httpEvent('POST /v1/batch', {
      writeKey: tenant.writeKey,
      body: { batch: calls.map((call) => ({ ...call, type: 'track' })) },
    }),
    {} as Context,
  );
  expect(response).toMatchObject({ statusCode: 200 });
  const ids = new Set(calls.map((call) => call.messageId));
  const records = await recordsOfCustomers(
    resources.eventsStream,
    calls.map((call) => call.userId),
  );
  return records.filter((record) => ids.has(messageIdOf(record)));
}

function messageIdOf(record: KinesisStreamRecord): string {
  return JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')).call.messageId;
}

/** One invocation of the processor, as the Kinesis event source mapping makes it. */
async function processBatch(records: KinesisStreamRecord[]): Promise<KinesisStreamBatchResponse> {
  return processor({ Records: records }, {} as Context);
}

/** DynamoDB calls on one customer's state items: reads (Query) and writes (PutItem, TransactWriteItems). */
function stateCallsOf(tenantId: string, customerId: string, since: number) {
  const pk = JSON.stringify(customerPartition(tenantId, customerId));
  const calls = proxy.requests
    .slice(since)
    .filter(({ body }) => body.includes(pk) && body.includes('"STATE"'));
  return {
    reads: calls.filter(({ operation }) => ['GetItem', 'Query'].includes(operation)).length,
    writes: calls.filter(({ operation }) => ['PutItem', 'TransactWriteItems'].includes(operation)).length,
  };
}

const sequenceOf = (record: KinesisStreamRecord | undefined) => record?.kinesis.sequenceNumber;

describe('the journey processor', () => {
  it('fires the matching journey exactly once and stores the customer’s state', async () => {
    const customer = newCustomer();
    const calls = [pageViewed(customer), cartAbandoned(customer, 80), cartAbandoned(customer, 10)];
    const records = await trackThroughIngest(acme, calls);
    expect(records).toHaveLength(3);
    const before = proxy.requests.length;

    expect(await processBatch(records)).toEqual({ batchItemFailures: [] });
    const cost = stateCallsOf('acme', customer, before);

    const triggering = calls[1] as Call;
    expect(await listActions('acme', customer)).toEqual([
      {
        actionId: actionIdFor(
          'acme',
          customer,
          instanceIdFor(customer, 'cart-reminder', triggering.messageId),
          triggering.messageId,
          'fire',
        ),
        tenantId: 'acme',
        customerId: customer,
        journeyId: 'cart-reminder',
        journeyVersion: 1,
        action: 'send-reminder',
        channel: 'webhook',
        payload: { template: 'cart-reminder-1' },
        firedAt: expect.any(String),
        triggeredBy: { messageId: triggering.messageId, event: 'cart_abandoned' },
        instanceId: expect.stringMatching(/^cart-reminder:/),
        stepId: 'fire',
        priority: 0,
        reason: expect.stringContaining('"Cart reminder"'),
        delivery: { status: 'pending', attempts: 0 },
      },
    ]);
    expect(await loadCustomerState('acme', customer)).toEqual({
      tenantId: 'acme',
      customerId: customer,
      version: 1,
      appliedSequence: sequenceOf(records.at(-1)),
      recentMessageIds: calls.map((call) => messageIdKey(call.messageId)),
      eventCount: 3,
      firstSeenAt: expect.any(String),
      lastSeenAt: expect.any(String),
      journeys: { 'cart-reminder': { entries: 1, lastEnteredAt: expect.any(String) } },
      channels: { server: { lastSeenAt: expect.any(String) } },
    });
    expect(cost).toEqual({ reads: 1, writes: 1 });
  });

  it('reports the journey metrics its writes committed per tenant, and none for a redelivery', async () => {
    const customer = newCustomer();
    // Both tenants have a journey with this id: the batch's counts keep them apart.
    const records = [
      ...(await trackThroughIngest(acme, [cartAbandoned(customer, 70), pageViewed(customer)])),
      ...(await trackThroughIngest(globex, [cartAbandoned(newCustomer(), 90)])),
    ];
    const first = await processKinesisBatch(records);
    expect(first.summary.journeyMetrics).toEqual({
      'acme/cart-reminder:entered': 1,
      'acme/cart-reminder:action': 1,
      'acme/cart-reminder:completed': 1,
      'globex/cart-reminder:entered': 1,
      'globex/cart-reminder:action': 1,
      'globex/cart-reminder:completed': 1,
    });
    const again = await processKinesisBatch(records);
    expect(again.summary).toMatchObject({ applied: 0, duplicates: 3, journeyMetrics: {} });
  });

  it('fires nothing new and keeps the version when the same batch is delivered again', async () => {
    const customer = newCustomer();
    const records = await trackThroughIngest(acme, [pageViewed(customer), cartAbandoned(customer, 120)]);
    await processBatch(records);
    const state = await loadCustomerState('acme', customer);
    const actions = await listActions('acme', customer);
    expect(actions).toHaveLength(1);
    const before = proxy.requests.length;

    expect(await processBatch(records)).toEqual({ batchItemFailures: [] });

    expect(stateCallsOf('acme', customer, before)).toEqual({ reads: 1, writes: 0 });
    expect(await loadCustomerState('acme', customer)).toEqual(state);
    expect(await listActions('acme', customer)).toEqual(actions);
  });

  it('gives the same state and actions when a batch is retried from a failed record onwards', async () => {
    const shape = (customer: string) => [
      pageViewed(customer),
      cartAbandoned(customer, 60),
      pageViewed(customer),
      cartAbandoned(customer, 90),
      pageViewed(customer),
    ];
    // Applied whole, then Lambda retries from the third record (it was reported as failed).
    const whole = newCustomer();
    const wholeRecords = await trackThroughIngest(acme, shape(whole));
    await processBatch(wholeRecords);
    const state = await loadCustomerState('acme', whole);
    const actions = await listActions('acme', whole);
    expect(actions).toHaveLength(2);

    expect(await processBatch(wholeRecords.slice(2))).toEqual({ batchItemFailures: [] });

    expect(await loadCustomerState('acme', whole)).toEqual(state);
    expect(await listActions('acme', whole)).toEqual(actions);

    // Cut short after two records, then retried from the second: the same outcome as in one go.
    const cut = newCustomer();
    const cutCalls = shape(cut);
    const cutRecords = await trackThroughIngest(acme, cutCalls);
    await processBatch(cutRecords.slice(0, 2));
    expect(await processBatch(cutRecords.slice(1))).toEqual({ batchItemFailures: [] });

    expect(await loadCustomerState('acme', cut)).toMatchObject({
      eventCount: 5,
      appliedSequence: sequenceOf(cutRecords.at(-1)),
      recentMessageIds: cutCalls.map((call) => messageIdKey(call.messageId)),
      journeys: { 'cart-reminder': { entries: 2 } },
    });
    const cutActions = await listActions('acme', cut);
    expect(cutActions.map((action) => action.triggeredBy.messageId).sort()).toEqual(
      [cutCalls[1], cutCalls[3]].map((call) => call?.messageId).sort(),
    );
  });

  it('never writes a second action for a message the sender repeats after it left the dedupe window', async () => {
    const customer = newCustomer();
    const cart = cartAbandoned(customer, 90);
    const filler = Array.from({ length: 105 }, () => pageViewed(customer));
    await processBatch(await trackThroughIngest(acme, [cart]));
    await processBatch(await trackThroughIngest(acme, filler));
    // The same call again, much later: a new stream record, its messageId long out of the window.
    expect(await processBatch(await trackThroughIngest(acme, [cart]))).toEqual({ batchItemFailures: [] });

    const actions = await listActions('acme', customer);
    expect(actions.map((action) => action.triggeredBy.messageId)).toEqual([cart.messageId]);
  });

  it('writes a customer with five events in a batch once, the version going up by one', async () => {
    const customer = newCustomer();
    const fiveEvents = () => [
      pageViewed(customer),
      cartAbandoned(customer, 70),
      pageViewed(customer),
      pageViewed(customer),
      cartAbandoned(customer, 5),
    ];
    const first = await trackThroughIngest(acme, fiveEvents());
    let before = proxy.requests.length;

    await processBatch(first);

    expect(stateCallsOf('acme', customer, before)).toEqual({ reads: 1, writes: 1 });
    expect(await loadCustomerState('acme', customer)).toMatchObject({ version: 1, eventCount: 5 });

    const second = await trackThroughIngest(acme, fiveEvents());
    before = proxy.requests.length;

    await processBatch(second);

    expect(stateCallsOf('acme', customer, before)).toEqual({ reads: 1, writes: 1 });
    expect(await loadCustomerState('acme', customer)).toMatchObject({ version: 2, eventCount: 10 });
    expect(await listActions('acme', customer)).toHaveLength(2);
  });

  it('reports poison records as batch item failures and applies the other records of the batch', async () => {
    const buyer = newCustomer();
    const browser = newCustomer();
    const tracked = await trackThroughIngest(acme, [
      pageViewed(buyer),
      pageViewed(browser),
      cartAbandoned(buyer, 75),
    ]);
    const badRecord = {
      kind: 'call',
      tenantId: 'acme',
      customerId: buyer,
      receivedAt: 'yesterday',
      call: {
        type: 'track',
        userId: buyer,
        event: 'cart_abandoned',
        properties: {},
        messageId: randomUUID(),
      },
    };
    const put = await kinesis().send(
      new PutRecordsCommand({
        StreamName: resources.eventsStream,
        Records: [
          {
            PartitionKey: partitionKeyOf('acme', buyer),
            Data: Buffer.from('{"kind": "event", "tenantId": '),
          },
          { PartitionKey: partitionKeyOf('acme', buyer), Data: Buffer.from(JSON.stringify(badRecord)) },
        ],
      }),
    );
    const poison = (put.Records ?? []).map((entry) => String(entry.SequenceNumber));
    const wanted = new Set([...tracked.map(sequenceOf), ...poison]);
    const batch = (await readAllRecords(resources.eventsStream)).filter((record) =>
      wanted.has(record.kinesis.sequenceNumber),
    );
    expect(batch).toHaveLength(5);

    const response = await processBatch(batch);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [...poison].sort(),
    );
    expect(await loadCustomerState('acme', buyer)).toMatchObject({ version: 1, eventCount: 2 });
    expect(await loadCustomerState('acme', browser)).toMatchObject({ version: 1, eventCount: 1 });
    expect(await listActions('acme', buyer)).toHaveLength(1);
  });

  it('keeps customers apart, within a tenant and across tenants with the same user id', async () => {
    const shared = newCustomer();
    const other = newCustomer();
    const acmeCalls = [cartAbandoned(shared, 80), pageViewed(other)];
    const globexCalls = [pageViewed(shared), cartAbandoned(shared, 55)];
    const records = [
      ...(await trackThroughIngest(acme, acmeCalls)),
      ...(await trackThroughIngest(globex, globexCalls)),
    ];
    expect(records).toHaveLength(4);

    expect(await processBatch(records)).toEqual({ batchItemFailures: [] });

    expect(await loadCustomerState('acme', shared)).toMatchObject({
      tenantId: 'acme',
      customerId: shared,
      eventCount: 1,
      recentMessageIds: [messageIdKey(acmeCalls[0]?.messageId ?? '')],
    });
    expect(await loadCustomerState('acme', other)).toMatchObject({
      tenantId: 'acme',
      customerId: other,
      eventCount: 1,
      journeys: {},
    });
    expect(await loadCustomerState('globex', shared)).toMatchObject({
      tenantId: 'globex',
      customerId: shared,
      eventCount: 2,
      recentMessageIds: globexCalls.map((call) => messageIdKey(call.messageId)),
    });
    const acmeActions = await listActions('acme', shared);
    const globexActions = await listActions('globex', shared);
    expect(acmeActions.map((action) => action.triggeredBy.messageId)).toEqual([acmeCalls[0]?.messageId]);
    expect(globexActions.map((action) => action.triggeredBy.messageId)).toEqual([globexCalls[1]?.messageId]);
    expect(globexActions[0]?.tenantId).toBe('globex');
    expect(await listActions('acme', other)).toEqual([]);
  });
});

describe('a writer that overlaps the processor', () => {
  it('makes the processor read again when it changed the customer between read and write', async () => {
    const customer = newCustomer();
    await processBatch(await trackThroughIngest(acme, [pageViewed(customer), pageViewed(customer)]));
    const later = await trackThroughIngest(acme, [
      pageViewed(customer),
      cartAbandoned(customer, 99),
      pageViewed(customer),
    ]);
    const pk = customerPartition('acme', customer);
    const held = proxy.holdNext('TransactWriteItems', pk);

    const processing = processBatch(later);
    await held.reached;
    // Another writer bumps the version after the processor read version 1.
    const read = await loadCustomerState('acme', customer);
    await dynamo().send(
      new UpdateCommand({
        TableName: resources.customersTable,
        Key: { pk, sk: 'STATE' },
        UpdateExpression: 'SET version = :bumped, #s = :state',
        ConditionExpression: 'version = :read',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: {
          ':read': 1,
          ':bumped': 2,
          ':state': JSON.stringify({ ...read, version: 2 }),
        },
      }),
    );
    const before = proxy.requests.length;
    held.release();

    expect(await processing).toEqual({ batchItemFailures: [] });
    // The held write failed its condition; the processor read again and wrote again.
    expect(stateCallsOf('acme', customer, before)).toEqual({ reads: 1, writes: 1 });
    expect(await loadCustomerState('acme', customer)).toMatchObject({ version: 3, eventCount: 5 });
    expect(await listActions('acme', customer)).toHaveLength(1);
  });

  it('loses no event when two invocations on the same customer overlap, the earlier records winning', async () => {
    const customer = newCustomer();
    const calls = [
      pageViewed(customer),
      cartAbandoned(customer, 51),
      pageViewed(customer),
      pageViewed(customer),
      cartAbandoned(customer, 52),
      pageViewed(customer),
    ];
    const records = await trackThroughIngest(acme, calls);
    const pk = customerPartition('acme', customer);
    // The invocation with the later records has read (nothing yet) and is about to write...
    // The action of the later records names its trigger's message id.
    const held = proxy.holdNext('TransactWriteItems', pk, calls[4]?.messageId ?? '');
    const laterInvocation = processBatch(records.slice(3));
    await held.reached;

    // ...when another invocation applies the earlier records.
    expect(await processBatch(records.slice(0, 3))).toEqual({ batchItemFailures: [] });
    held.release();

    expect(await laterInvocation).toEqual({ batchItemFailures: [] });
    expect(await loadCustomerState('acme', customer)).toMatchObject({
      version: 2,
      eventCount: calls.length,
      recentMessageIds: calls.map((call) => messageIdKey(call.messageId)),
    });
    expect(await listActions('acme', customer)).toHaveLength(2);
  });

  // After the version conflict, the invocation with the earlier records reads back an
  // `appliedSequence` above its own records; it must trust only the message ids then.
  it('loses no event when two invocations on the same customer overlap, the later records winning', async () => {
    const customer = newCustomer();
    const calls = [
      pageViewed(customer),
      cartAbandoned(customer, 51),
      pageViewed(customer),
      pageViewed(customer),
      cartAbandoned(customer, 52),
      pageViewed(customer),
    ];
    const records = await trackThroughIngest(acme, calls);
    const pk = customerPartition('acme', customer);
    const held = proxy.holdNext('TransactWriteItems', pk, calls[1]?.messageId ?? '');
    const earlierInvocation = processBatch(records.slice(0, 3));
    await held.reached;

    expect(await processBatch(records.slice(3))).toEqual({ batchItemFailures: [] });
    held.release();

    expect(await earlierInvocation).toEqual({ batchItemFailures: [] });
    expect(await loadCustomerState('acme', customer)).toMatchObject({ eventCount: calls.length });
    expect(await listActions('acme', customer)).toHaveLength(2);
  });
});
