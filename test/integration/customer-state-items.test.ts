import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { dynamo, resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import {
  customerPartition,
  loadCustomerState,
  saveCustomerOutcome,
} from '../../lambdas/adapters/customer-store.js';
import { timerSortKey } from '../../lambdas/adapters/timer-items.js';
import { messageIdKey } from '../../lambdas/core/engine.js';
import { VersionConflictError } from '../../lambdas/core/errors.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import type { Timer } from '../../schemas/timer.js';
import { cartReminderIntent } from './support/actions.js';
import { pointAdaptersAt } from './support/adapters.js';
import { startDynamoProxy } from './support/dynamo-proxy.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';

/**
 * The customer state split into items under the customer's partition (a hot `STATE` item and
 * `STATE#<part>` items), against DynamoDB Local: what is written, what is not, and what is read.
 */

let proxy: Awaited<ReturnType<typeof startDynamoProxy>>;
let resources: FreshResources;

beforeAll(async () => {
  proxy = await startDynamoProxy(inject('awsEnv').AWS_ENDPOINT_URL_DYNAMODB);
});
beforeEach(async () => {
  resources = await freshResources('state-items');
  pointAdaptersAt(resources, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
});
afterEach(async () => deleteResources(resources));
afterAll(async () => {
  resetClientsForTests();
  await proxy?.close();
});

const tenantId = 'acme';
const at = '2030-06-01T12:00:00.000Z';

/** A customer with every part of the state set. */
function fullState(customerId: string): CustomerState {
  return {
    tenantId,
    customerId,
    version: 0,
    appliedSequence: '49650000000000000000000000000000000000000000000000000001',
    recentMessageIds: [
      ...Array.from({ length: 40 }, () => messageIdKey(randomUUID())),
      'short-id',
      randomUUID(),
    ],
    eventCount: 42,
    firstSeenAt: '2030-01-01T00:00:00.000Z',
    lastSeenAt: at,
    journeys: { 'cart-reminder': { entries: 2, lastEnteredAt: at } },
    profile: {
      traits: {
        email: { value: 'claire@example.com', updatedAt: at },
        huge: { value: 1e300, updatedAt: at },
      },
      groups: { 'acme-corp': { traits: { plan: 'gold' }, updatedAt: at } },
      anonymousIds: ['device-1'],
    },
    channels: { web: { lastSeenAt: at }, store: { lastSeenAt: at } },
    lastStoreVisit: { storeId: 'paris-9', zone: 'shoes', at },
    mergedFrom: ['anon:device-1'],
    instances: {
      'instance-1': {
        journeyId: 'cart-reminder',
        version: 1,
        stepId: 'wait',
        enteredAt: at,
        waiting: { timerId: 'timer-1', dueAt: at },
        goalUntil: at,
      },
    },
    attribution: [{ instanceId: 'instance-0', journeyId: 'cart-reminder', version: 1, goalUntil: at }],
    counters: { 'c-1': [[1, 3]] },
    recentEvents: [{ event: 'Cart Abandoned', at, properties: { price: 80 }, messageId: 'm-1' }],
    consent: {
      purposes: { marketing: { status: 'granted', at, source: 'web' } },
      channels: { email: { status: 'denied', at, source: 'consent-api' } },
    },
  };
}

const newCustomer = () => `user-${randomUUID()}`;

/** Every item of the customer's partition: what export and erasure read, one Query. */
async function partitionItems(customerId: string) {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: resources.customersTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId) },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

const versionsBySortKey = async (customerId: string) =>
  Object.fromEntries((await partitionItems(customerId)).map((item) => [item.sk, item.version]));

describe('the customer state in parts', () => {
  it('reads back every part as it was written, in one Query', async () => {
    const customerId = newCustomer();
    const state = fullState(customerId);
    const before = proxy.requests.length;
    await saveCustomerOutcome(undefined, state, []);
    const loaded = await loadCustomerState(tenantId, customerId);

    expect(loaded).toEqual({ ...state, version: 1 });
    const operations = proxy.requests.slice(before).map(({ operation }) => operation);
    expect(operations).toEqual(['TransactWriteItems', 'Query']);
    // The rare parts lie in items of their own; the older message ids too.
    const sortKeys = Object.keys(await versionsBySortKey(customerId));
    expect(sortKeys).toEqual(
      expect.arrayContaining(['STATE', 'STATE#identity', 'STATE#profile', 'STATE#ids']),
    );
  });

  it('writes only the hot item, with a plain Put, when only the per-event fields changed', async () => {
    const customerId = newCustomer();
    const state = fullState(customerId);
    await saveCustomerOutcome(undefined, state, []);
    const first = await loadCustomerState(tenantId, customerId);
    const partsAtFirst = await versionsBySortKey(customerId);
    const before = proxy.requests.length;

    const next = {
      ...(first as CustomerState),
      eventCount: 43,
      lastSeenAt: '2030-06-01T12:05:00.000Z',
      recentMessageIds: [...(first as CustomerState).recentMessageIds, messageIdKey(randomUUID())],
    };
    await saveCustomerOutcome(1, next, []);

    expect(proxy.requests.slice(before).map(({ operation }) => operation)).toEqual(['PutItem']);
    const partsNow = await versionsBySortKey(customerId);
    expect(partsNow.STATE).toBe(2);
    for (const [sk, version] of Object.entries(partsAtFirst))
      if (sk !== 'STATE') expect(partsNow[sk]).toBe(version);
    expect(await loadCustomerState(tenantId, customerId)).toEqual({ ...next, version: 2 });
  });

  it('rewrites a part that changed, at the new version, in the same transaction as the hot item', async () => {
    const customerId = newCustomer();
    await saveCustomerOutcome(undefined, fullState(customerId), []);
    const first = (await loadCustomerState(tenantId, customerId)) as CustomerState;
    const profile = first.profile as NonNullable<CustomerState['profile']>;
    const next = {
      ...first,
      profile: { ...profile, traits: { ...profile.traits, tier: { value: 'gold', updatedAt: at } } },
    };
    const before = proxy.requests.length;
    await saveCustomerOutcome(1, next, []);

    expect(proxy.requests.slice(before).map(({ operation }) => operation)).toEqual(['TransactWriteItems']);
    const versions = await versionsBySortKey(customerId);
    expect(versions).toMatchObject({ STATE: 2, 'STATE#profile': 2, 'STATE#identity': 1 });
    expect(await loadCustomerState(tenantId, customerId)).toEqual({ ...next, version: 2 });
  });

  it('keeps a slow writer out of every part: its write fails whole on the hot item’s version', async () => {
    const customerId = newCustomer();
    await saveCustomerOutcome(undefined, fullState(customerId), []);
    const read = (await loadCustomerState(tenantId, customerId)) as CustomerState;
    // Another writer (another process: nothing of this one's memory) changes the profile.
    await saveCustomerOutcome(
      1,
      { ...read, profile: { ...read.profile, anonymousIds: [] } } as CustomerState,
      [],
    );

    const stale = saveCustomerOutcome(1, { ...read, consent: undefined, eventCount: 99 }, []);
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    const stored = await loadCustomerState(tenantId, customerId);
    expect(stored).toMatchObject({ version: 2, eventCount: 42, profile: { anonymousIds: [] } });
    expect(stored?.consent).toEqual(read.consent);
  });

  it('reads again, then gives up as a conflict, when a part is not at the version the hot item names', async () => {
    const customerId = newCustomer();
    await saveCustomerOutcome(undefined, fullState(customerId), []);
    // As a read that fell between two writers' items would see it.
    await dynamo().send(
      new UpdateCommand({
        TableName: resources.customersTable,
        Key: { pk: customerPartition(tenantId, customerId), sk: 'STATE#profile' },
        UpdateExpression: 'SET version = :other',
        ExpressionAttributeValues: { ':other': 7 },
      }),
    );
    const before = proxy.requests.length;
    await expect(loadCustomerState(tenantId, customerId)).rejects.toBeInstanceOf(VersionConflictError);
    expect(
      proxy.requests.slice(before).filter(({ operation }) => operation === 'Query').length,
    ).toBeGreaterThan(1);
  });

  it('loads an older single STATE item (JSON text or map) and writes it back in parts', async () => {
    for (const encode of [(state: CustomerState) => JSON.stringify(state), (state: CustomerState) => state]) {
      const customerId = newCustomer();
      const full = fullState(customerId);
      const { huge: _tooBigForAMap, ...traits } = full.profile?.traits ?? {};
      const state = {
        ...full,
        version: 3,
        profile: { ...(full.profile as NonNullable<CustomerState['profile']>), traits },
      };
      await dynamo().send(
        new PutCommand({
          TableName: resources.customersTable,
          Item: {
            pk: customerPartition(tenantId, customerId),
            sk: 'STATE',
            version: 3,
            state: encode(state),
          },
        }),
      );
      expect(await loadCustomerState(tenantId, customerId)).toEqual(state);

      await saveCustomerOutcome(3, { ...state, eventCount: 43 }, []);
      const items = await partitionItems(customerId);
      expect(items.find((item) => item.sk === 'STATE')?.state).toBeUndefined();
      expect(await loadCustomerState(tenantId, customerId)).toEqual({ ...state, eventCount: 43, version: 4 });
    }
  });

  it('lets erasure find the whole footprint with one Query on the partition', async () => {
    const customerId = newCustomer();
    const timer: Timer = { timerId: 'timer-1', tenantId, customerId, instanceId: 'instance-1', dueAt: at };
    await saveCustomerOutcome(undefined, fullState(customerId), [], { set: [timer], cancel: [] });
    const items = await partitionItems(customerId);
    expect(items.map((item) => item.sk)).toEqual(expect.arrayContaining(['STATE', timerSortKey('timer-1')]));
    for (const { pk, sk } of items)
      await dynamo().send(new DeleteCommand({ TableName: resources.customersTable, Key: { pk, sk } }));
    expect(await loadCustomerState(tenantId, customerId)).toBeUndefined();
  });

  it('puts the changed parts in the hot item when the transaction has no room for their items', async () => {
    const customerId = newCustomer();
    await saveCustomerOutcome(undefined, fullState(customerId), []);
    const read = (await loadCustomerState(tenantId, customerId)) as CustomerState;
    const next = { ...read, journeys: { ...read.journeys, other: { entries: 1, lastEnteredAt: at } } };
    const profile = read.profile as NonNullable<CustomerState['profile']>;
    next.profile = { ...profile, anonymousIds: ['device-2'] };
    const actions = Array.from({ length: 99 }, (_, i) =>
      cartReminderIntent(tenantId, customerId, at, { actionId: `action-${i}`, messageId: `message-${i}` }),
    );
    const before = proxy.requests.length;
    await saveCustomerOutcome(1, next, actions);

    const [write] = proxy.requests
      .slice(before)
      .filter(({ operation }) => operation === 'TransactWriteItems');
    expect((JSON.parse(write?.body ?? '{}') as { TransactItems: unknown[] }).TransactItems).toHaveLength(100);
    expect(await loadCustomerState(tenantId, customerId)).toEqual({ ...next, version: 2 });
    // The next write with room puts the parts back in items of their own, and the state reads the same.
    const again = (await loadCustomerState(tenantId, customerId)) as CustomerState;
    await saveCustomerOutcome(2, { ...again, eventCount: 50 }, []);
    expect(await loadCustomerState(tenantId, customerId)).toEqual({ ...next, eventCount: 50, version: 3 });
  });
});
