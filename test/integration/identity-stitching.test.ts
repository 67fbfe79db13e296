import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { listActions, loadCustomerState } from '../../lambdas/adapters/customer-store.js';
import { putRecordsDurably } from '../../lambdas/adapters/event-stream.js';
import { handler as processor } from '../../lambdas/processor/handler.js';
import type { JsonObject } from '../../schemas/common.js';
import type { Channel, SegmentCall } from '../../schemas/segment-call.js';
import {
  type CallRecord,
  customerIdOf,
  type LinkRecord,
  type StreamRecord,
} from '../../schemas/stream-record.js';
import { pointAdaptersAt } from './support/adapters.js';
import { readAllRecords } from './support/kinesis-records.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, seedTenant } from './support/seed.js';
import { decodeStreamRecord } from './support/stream-events.js';

const TENANT = 'acme';

let resources: FreshResources;

beforeAll(async () => {
  resources = await freshResources('identity-stitching');
  pointAdaptersAt(resources);
  await seedTenant({ tenantId: TENANT, journeys: [cartReminder] });
});

afterAll(async () => {
  resetClientsForTests();
  await deleteResources(resources);
});

/**
 * A visitor's story, as ingest turns it into stream records: browsing anonymously (one cart
 * abandoned), logging in (identify with both ids: a call under the user id and a link under the
 * anonymous id), then calls from both ids, one still carrying only the anonymous id.
 */
function visitorStory() {
  const userId = `user-${randomUUID()}`;
  const anonymousId = `dev-${randomUUID()}`;
  const anonymousCustomer = customerIdOf({ anonymousId });
  // Event times in the recent past, one minute apart; received a second after each.
  const start = Date.now() - 60 * 60_000;
  let minute = 0;
  const common = (ids: { userId?: string; anonymousId?: string }, channel: Channel = 'web') => {
    minute += 1;
    const timestamp = new Date(start + minute * 60_000).toISOString();
    return {
      messageId: randomUUID(),
      ...ids,
      timestamp,
      receivedAt: new Date(start + minute * 60_000 + 1_000).toISOString(),
      channel,
      context: {},
    };
  };
  const track = (
    ids: { userId?: string; anonymousId?: string },
    event: string,
    properties: JsonObject,
    channel?: Channel,
  ): SegmentCall => ({ type: 'track', event, properties, ...common(ids, channel) });

  const calls = {
    browsed: track({ anonymousId }, 'page_viewed', { path: '/shoes' }),
    abandonedAnonymously: track({ anonymousId }, 'cart_abandoned', { total: 80 }),
    loggedIn: {
      type: 'identify',
      traits: { email: 'claire@example.com', plan: 'pro' },
      ...common({ userId, anonymousId }, 'mobile'),
    } satisfies SegmentCall,
    abandonedStillAnonymous: track({ anonymousId }, 'cart_abandoned', { total: 90 }),
    abandonedKnown: track({ userId, anonymousId }, 'cart_abandoned', { total: 60 }),
  };
  const callRecord = (call: SegmentCall): CallRecord => ({
    kind: 'call',
    tenantId: TENANT,
    customerId: customerIdOf(call),
    receivedAt: call.receivedAt,
    call,
  });
  const link: LinkRecord = {
    kind: 'link',
    tenantId: TENANT,
    customerId: anonymousCustomer,
    receivedAt: calls.loggedIn.receivedAt,
    linkId: `${calls.loggedIn.messageId}:link`,
    linkTo: userId,
  };
  // What each request to ingest puts in the stream, in the order the requests came.
  const requests: StreamRecord[][] = [
    [callRecord(calls.browsed)],
    [callRecord(calls.abandonedAnonymously)],
    [callRecord(calls.loggedIn), link],
    [callRecord(calls.abandonedStillAnonymous)],
    [callRecord(calls.abandonedKnown)],
  ];
  return { userId, anonymousId, anonymousCustomer, calls, link, requests };
}

type Story = ReturnType<typeof visitorStory>;

/** The records of the story's two customers now in the stream, including what the processor forwarded. */
async function recordsOf(story: Story): Promise<KinesisStreamRecord[]> {
  const customers = new Set([story.userId, story.anonymousCustomer]);
  return (await readAllRecords(resources.eventsStream)).filter((record) =>
    customers.has(String(decodeStreamRecord(record).customerId)),
  );
}

/**
 * Runs the processor as an event source mapping would: every record once, in stream order, then
 * the records the processor itself put in the stream (merges, forwards), until none are new.
 * `batchSize` 1 hands them over one at a time.
 */
async function processUntilQuiet(story: Story, delivered: Set<string>, batchSize = 100): Promise<number> {
  for (let round = 1; round <= 10; round += 1) {
    const fresh = (await recordsOf(story)).filter((record) => !delivered.has(record.kinesis.sequenceNumber));
    if (fresh.length === 0) return round - 1;
    for (let i = 0; i < fresh.length; i += batchSize) {
      const batch = fresh.slice(i, i + batchSize);
      expect(await processor({ Records: batch }, {} as Context)).toEqual({ batchItemFailures: [] });
      for (const record of batch) delivered.add(record.kinesis.sequenceNumber);
    }
  }
  throw new Error('the processor kept putting new records in the stream');
}

/** Puts each request's records in the stream, one request after the other, as ingest would. */
async function ingest(requests: readonly StreamRecord[][]): Promise<void> {
  for (const records of requests) await putRecordsDurably(records);
}

async function expectStitched(story: Story) {
  const { userId, anonymousId, anonymousCustomer, calls } = story;

  const known = await loadCustomerState(TENANT, userId);
  expect(known).toMatchObject({
    // Two calls handed over with the anonymous history, the identify, one forwarded, one direct.
    eventCount: 5,
    firstSeenAt: calls.browsed.timestamp,
    lastSeenAt: calls.abandonedKnown.timestamp,
    // One cart abandoned anonymously (handed over), one forwarded, one sent by the known customer.
    journeys: { 'cart-reminder': { entries: 3 } },
    profile: {
      traits: {
        email: { value: 'claire@example.com', updatedAt: calls.loggedIn.timestamp },
        plan: { value: 'pro', updatedAt: calls.loggedIn.timestamp },
      },
      anonymousIds: [anonymousId],
    },
    channels: {
      web: { lastSeenAt: calls.abandonedKnown.timestamp },
      mobile: { lastSeenAt: calls.loggedIn.timestamp },
    },
  });
  expect(known?.mergedInto).toBeUndefined();

  const anonymous = await loadCustomerState(TENANT, anonymousCustomer);
  expect(anonymous).toMatchObject({ mergedInto: userId, eventCount: 0, journeys: {} });
  expect(anonymous?.profile).toBeUndefined();

  // Each abandoned cart fired the reminder once, under the customer that applied it.
  const anonymousActions = await listActions(TENANT, anonymousCustomer);
  const knownActions = await listActions(TENANT, userId);
  expect(anonymousActions.map((action) => action.triggeredBy.messageId)).toEqual([
    calls.abandonedAnonymously.messageId,
  ]);
  expect(knownActions.map((action) => action.triggeredBy.messageId).sort()).toEqual(
    [calls.abandonedStillAnonymous.messageId, calls.abandonedKnown.messageId].sort(),
  );
  expect(knownActions.every((action) => action.customerId === userId)).toBe(true);
  return { known, anonymous, actions: [...anonymousActions, ...knownActions] };
}

describe('identity stitching through the stream', () => {
  it('joins an anonymous visitor to the customer who logs in: history handed over, later events forwarded', async () => {
    const story = visitorStory();
    await ingest(story.requests);
    const delivered = new Set<string>();

    // First the records from ingest, then the merge and the forwarded call the processor put back.
    expect(await processUntilQuiet(story, delivered)).toBe(2);

    const { known } = await expectStitched(story);
    // One write per customer per batch: the ingest records, then the merge with the forwarded call.
    expect(known?.version).toBe(2);
    const inStream = (await recordsOf(story)).map(decodeStreamRecord);
    const underKnown = inStream.filter((record) => record.customerId === story.userId);
    expect(underKnown.filter((record) => record.kind === 'merge')).toEqual([
      expect.objectContaining({ mergeId: `${story.link.linkId}:merge`, from: story.anonymousCustomer }),
    ]);
    const forwarded = underKnown.filter(
      (record) =>
        record.kind === 'call' &&
        (record.call as SegmentCall).messageId === story.calls.abandonedStillAnonymous.messageId,
    );
    expect(forwarded).toEqual([
      expect.objectContaining({ call: story.calls.abandonedStillAnonymous, customerId: story.userId }),
    ]);
  });

  it('changes nothing, forwards nothing and fires nothing when every record is delivered again', async () => {
    const story = visitorStory();
    await ingest(story.requests);
    await processUntilQuiet(story, new Set());
    const before = await expectStitched(story);
    const everything = await recordsOf(story);

    expect(await processor({ Records: everything }, {} as Context)).toEqual({ batchItemFailures: [] });
    // Again one record at a time, as a replay after bisected batches would.
    for (const record of everything)
      expect(await processor({ Records: [record] }, {} as Context)).toEqual({ batchItemFailures: [] });

    const after = await expectStitched(story);
    expect(after.known).toEqual(before.known);
    expect(after.anonymous).toEqual(before.anonymous);
    expect(after.actions).toEqual(before.actions);
    expect(await recordsOf(story)).toHaveLength(everything.length);
  });

  it('ends the same when the records are handed over one at a time', async () => {
    const story = visitorStory();
    await ingest(story.requests);

    await processUntilQuiet(story, new Set(), 1);

    const { known } = await expectStitched(story);
    // One write per record of the known customer: the identify, its own call, the merge, the forwarded call.
    expect(known?.version).toBe(4);
  });

  it('drops the calls and the link the sender repeats after the login, forwarding none of them', async () => {
    const story = visitorStory();
    await ingest(story.requests);
    const delivered = new Set<string>();
    await processUntilQuiet(story, delivered);
    const before = await expectStitched(story);

    // The app sends the whole story again (its queue was not cleared): new records, same message ids.
    await ingest(story.requests);

    // One round: the repeats are dropped by their message ids, nothing is forwarded.
    expect(await processUntilQuiet(story, delivered)).toBe(1);
    const after = await expectStitched(story);
    expect(after.known).toEqual(before.known);
    expect(after.anonymous).toEqual(before.anonymous);
    expect(after.actions).toEqual(before.actions);
  });
});
