import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putRecordsDurably } from '../../lambdas/adapters/event-stream.js';
import { handler as customerApi } from '../../lambdas/customer-api/handler.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import { CustomerProfileResponse } from '../../schemas/customer-api.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import { type CallRecord, customerIdOf } from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { type SeededTenant, seedTenant } from './support/seed.js';

let resources: FreshResources;
let acme: SeededTenant;
let globex: SeededTenant;
const processed = new Set<string>();

beforeAll(async () => {
  resources = await freshResources('customer-api');
  pointAdaptersAt(resources);
  acme = await seedTenant({ tenantId: 'acme' });
  globex = await seedTenant({ tenantId: 'globex' });
});
afterAll(async () => deleteResources(resources));

let counter = 0;
function callRecord(tenantId: string, call: Partial<SegmentCall> & Pick<SegmentCall, 'type'>): CallRecord {
  counter += 1;
  const at = call.timestamp ?? new Date(Date.UTC(2026, 10, 1, 10, counter)).toISOString();
  const full = {
    messageId: `m-${counter}`,
    context: {},
    channel: 'web',
    receivedAt: at,
    timestamp: at,
    ...call,
  } as SegmentCall;
  return { kind: 'call', tenantId, customerId: customerIdOf(full), receivedAt: at, call: full };
}

/** Puts records in the stream and runs the processor over what it has not seen yet, as Lambda would. */
async function deliver(records: CallRecord[]) {
  await putRecordsDurably(records);
  const fresh: KinesisStreamRecord[] = (await readAllRecords(resources.eventsStream)).filter(
    (record) => !processed.has(record.kinesis.sequenceNumber),
  );
  for (const record of fresh) processed.add(record.kinesis.sequenceNumber);
  expect(await processor({ Records: fresh }, {} as Context)).toEqual({ batchItemFailures: [] });
}

const getProfile = (tenant: SeededTenant, customerId: string) =>
  customerApi(
    httpEvent('GET /v1/customers/{customerId}', {
      writeKey: tenant.writeKey,
      pathParameters: { customerId },
    }),
    {} as Context,
  ) as Promise<{ statusCode: number; body: string }>;

describe('GET /v1/customers/{customerId}', () => {
  it('shows traits with the time each was set, the live channels and the last store visit', async () => {
    await deliver([
      callRecord('acme', {
        type: 'identify',
        userId: 'claire',
        traits: { email: 'claire@example.com', tier: 'gold' },
        timestamp: '2026-11-01T09:00:00.000Z',
      }),
      // An older identify arriving late must not overwrite the newer tier.
      callRecord('acme', {
        type: 'identify',
        userId: 'claire',
        traits: { tier: 'silver', city: 'Lyon' },
        timestamp: '2026-10-01T09:00:00.000Z',
      }),
      callRecord('acme', {
        type: 'track',
        userId: 'claire',
        event: 'Product Viewed',
        properties: { category: 'shoes', zone: 'aisle-3' },
        channel: 'store',
        context: { location: { storeId: 'lyon-part-dieu' } },
        timestamp: '2026-11-02T15:30:00.000Z',
      }),
      callRecord('acme', { type: 'group', userId: 'claire', groupId: 'acme-corp', traits: { plan: 'pro' } }),
    ]);

    const response = await getProfile(acme, 'claire');
    expect(response.statusCode).toBe(200);
    const profile = CustomerProfileResponse.parse(JSON.parse(response.body));
    expect(profile.traits).toEqual({
      email: { value: 'claire@example.com', updatedAt: '2026-11-01T09:00:00.000Z' },
      tier: { value: 'gold', updatedAt: '2026-11-01T09:00:00.000Z' },
      city: { value: 'Lyon', updatedAt: '2026-10-01T09:00:00.000Z' },
    });
    expect(profile.channels.store?.lastSeenAt).toBe('2026-11-02T15:30:00.000Z');
    expect(profile.channels.web).toBeDefined();
    expect(profile.lastStoreVisit).toEqual({
      storeId: 'lyon-part-dieu',
      zone: 'aisle-3',
      at: '2026-11-02T15:30:00.000Z',
    });
    expect(profile.groups['acme-corp']?.traits).toEqual({ plan: 'pro' });
    expect(profile.eventCount).toBe(4);
  });

  it('keeps traits whose numbers DynamoDB could not store as numbers (1e200, 5e-324)', async () => {
    await deliver([
      callRecord('acme', {
        type: 'identify',
        userId: 'astronomer',
        traits: { distance: 1e200, tiny: 5e-324 },
      }),
    ]);
    const response = await getProfile(acme, 'astronomer');
    expect(response.statusCode).toBe(200);
    const profile = CustomerProfileResponse.parse(JSON.parse(response.body));
    expect(profile.traits.distance?.value).toBe(1e200);
    expect(profile.traits.tiny?.value).toBe(5e-324);
  });

  it('answers 404 to another tenant and for an unknown customer, the same way', async () => {
    const otherTenant = await getProfile(globex, 'claire');
    const unknown = await getProfile(acme, 'nobody-by-that-id');
    expect(otherTenant.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(otherTenant.body)).toEqual(JSON.parse(unknown.body));
  });

  it('answers 401 without a valid write key', async () => {
    const response = (await customerApi(
      httpEvent('GET /v1/customers/{customerId}', {
        writeKey: 'wk_forged',
        pathParameters: { customerId: 'claire' },
      }),
      {} as Context,
    )) as { statusCode: number };
    expect(response.statusCode).toBe(401);
  });
});
