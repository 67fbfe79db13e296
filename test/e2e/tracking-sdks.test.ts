import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomerState } from '../../lambdas/adapters/customer-store.js';
import { messageIdKey } from '../../lambdas/core/engine.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.js';
import { pointAdaptersAt } from '../integration/support/adapters.js';
import { startRecordingProxy } from '../integration/support/recording-proxy.js';
import { deleteResources, type FreshResources, freshResources } from '../integration/support/resources.js';
import { decodeStreamRecord, recordsOfCustomers } from '../integration/support/stream-events.js';
import { eventually } from '../integration/support/webhook-receiver.js';

/**
 * The official Segment and RudderStack Node.js libraries, pointed at the local stack as their
 * host, with nothing changed: what a business does to start sending to Écoute. Every request
 * here is made by a library.
 */
describe('real tracking libraries against the local stack', () => {
  let resources: FreshResources;
  let stack: LocalStack;

  beforeAll(async () => {
    resources = await freshResources('sdks');
    stack = await startLocalStack({
      port: 0,
      aws: { external: true },
      names: resources,
      dataDir: mkdtempSync(path.join(tmpdir(), 'ecoute-sdks-')),
      print: () => undefined,
    });
    // After the stack: the test reads customer state from the stack's own tables.
    pointAdaptersAt(resources);
  });

  afterAll(async () => {
    await stack?.stop();
    await deleteResources(resources);
  });

  const segment = (host: string, settings: { maxRetries?: number; flushAt?: number } = {}) =>
    new SegmentAnalytics({ writeKey: stack.writeKey, host, flushInterval: 50, maxRetries: 0, ...settings });
  const rudderstack = (dataPlaneUrl: string) =>
    new RudderAnalytics(stack.writeKey, { dataPlaneUrl, flushAt: 100, flushInterval: 50, logLevel: 'error' });

  /** The customer's state once the processor has applied `events` calls. */
  const stateAfter = (customerId: string, events: number) =>
    eventually(async (): Promise<CustomerState | undefined> => {
      const state = await loadCustomerState(stack.tenantId, customerId);
      return state !== undefined && state.eventCount >= events ? state : undefined;
    }, 20_000);

  /** Every stream record of some customers, decoded. */
  const streamed = async (customerIds: string[]) =>
    (await recordsOfCustomers(resources.eventsStream, customerIds)).map(decodeStreamRecord);

  it('applies what @segment/analytics-node sends to the customer’s state', async () => {
    const userId = `segment-${randomUUID()}`;
    const ids = Array.from({ length: 4 }, () => `seg-${randomUUID()}`);
    const analytics = segment(stack.url);

    analytics.track({ userId, event: 'Product Viewed', properties: { category: 'bags' }, messageId: ids[0] });
    analytics.track({ userId, event: 'Cart Viewed', messageId: ids[1] });
    analytics.page({ userId, name: 'Home', messageId: ids[2] });
    analytics.screen({ userId, name: 'Basket', messageId: ids[3] });
    await analytics.closeAndFlush();

    const state = await stateAfter(userId, 4);
    expect(state.eventCount).toBe(4);
    expect(state.recentMessageIds).toEqual(expect.arrayContaining(ids.map(messageIdKey)));
    const [first] = await streamed([userId]);
    expect(first?.call).toMatchObject({
      channel: 'server',
      context: { library: { name: '@segment/analytics-node' } },
      // The library sends sentAt with the batch: the timestamp was corrected with it.
      sentAt: expect.any(String),
    });
  });

  it('puts identify and alias from @segment/analytics-node on the stream with their links', async () => {
    const userId = `segment-${randomUUID()}`;
    const anonymousId = `browser-${randomUUID()}`;
    const previousId = `old-${randomUUID()}`;
    const analytics = segment(stack.url);

    analytics.identify({ userId, anonymousId, traits: { plan: 'gold' }, messageId: 'seg-identify-1' });
    analytics.alias({ userId, previousId, messageId: 'seg-alias-1' });
    await analytics.closeAndFlush();

    const wanted = [userId, `anon:${anonymousId}`, `anon:${previousId}`, previousId];
    // What ingest wrote; the processor adds records of its own for these customers (merges).
    const records = await eventually(async () => {
      const found = (await streamed(wanted)).filter((r) => r.kind === 'call' || r.kind === 'link');
      return found.length >= 5 ? found : undefined;
    });
    const summary = records.map((r) => [r.kind, r.customerId, r.kind === 'link' ? r.linkId : r.call]);
    expect(summary).toEqual(
      expect.arrayContaining([
        [
          'call',
          userId,
          expect.objectContaining({ type: 'identify', anonymousId, traits: { plan: 'gold' } }),
        ],
        ['call', userId, expect.objectContaining({ type: 'alias', previousId })],
        ['link', `anon:${anonymousId}`, 'seg-identify-1:link'],
        ['link', `anon:${previousId}`, 'seg-alias-1:link-anon'],
        ['link', previousId, 'seg-alias-1:link-user'],
      ]),
    );
    expect(records).toHaveLength(5);
    for (const link of records.filter((r) => r.kind === 'link')) expect(link.linkTo).toBe(userId);
  });

  it('applies what @rudderstack/rudder-sdk-node sends, gzip-compressed as it does by default', async () => {
    const proxy = await startRecordingProxy(stack.url);
    try {
      const userId = `rudder-${randomUUID()}`;
      const anonymousId = `device-${randomUUID()}`;
      const client = rudderstack(proxy.url);

      client.track({ userId, event: 'Product Viewed', properties: { category: 'shoes' } });
      client.page({ userId, name: 'Shoes', properties: { path: '/shoes' } });
      client.identify({ userId, anonymousId, traits: { tier: 'silver' } });
      await client.flush();

      // The library sends its very first call at once, the rest in a second batch.
      expect(proxy.exchanges.length).toBeGreaterThan(0);
      for (const exchange of proxy.exchanges) {
        expect([exchange.path, exchange.headers['content-encoding'], exchange.status]).toEqual([
          '/v1/batch',
          'gzip',
          200,
        ]);
      }
      const answers = proxy.exchanges.map((exchange) => JSON.parse(exchange.body));
      expect(answers.reduce((sum, answer) => sum + answer.accepted, 0)).toBe(3);
      expect(answers.flatMap((answer) => answer.rejected)).toEqual([]);
      const state = await stateAfter(userId, 3);
      expect(state.eventCount).toBe(3);
      const links = (await streamed([`anon:${anonymousId}`])).filter((r) => r.kind === 'link');
      expect(links).toEqual([expect.objectContaining({ linkTo: userId })]);
    } finally {
      await proxy.close();
    }
  });

  it('accepts the valid calls of a library’s batch that also holds invalid ones, and tells which', async () => {
    const proxy = await startRecordingProxy(stack.url);
    try {
      const good = [`mixed-${randomUUID()}`, `mixed-${randomUUID()}`];
      const analytics = segment(proxy.url, { flushAt: 4 });
      const tooDeep = JSON.parse(`${'{"a":'.repeat(10)}1${'}'.repeat(10)}`);

      analytics.track({ userId: good[0] as string, event: 'Product Viewed' });
      // Both pass the library's own checks; Écoute refuses them.
      analytics.track({ userId: 'x'.repeat(300), event: 'Product Viewed' });
      analytics.track({ userId: good[1] as string, event: 'Product Viewed' });
      analytics.track({ userId: `mixed-${randomUUID()}`, event: 'Product Viewed', properties: tooDeep });
      await analytics.closeAndFlush();

      expect(proxy.exchanges).toHaveLength(1);
      expect(JSON.parse(proxy.exchanges[0]?.body ?? '{}')).toEqual({
        success: true,
        accepted: 2,
        rejected: [
          { index: 1, code: 'invalid_request', path: 'batch.1.userId', message: expect.any(String) },
          {
            index: 3,
            code: 'invalid_request',
            path: expect.stringMatching(/^batch\.3\.properties/),
            message: expect.any(String),
          },
        ],
      });
      for (const userId of good) expect((await stateAfter(userId, 1)).eventCount).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('applies once a batch that @segment/analytics-node sent again after losing the answer', async () => {
    const proxy = await startRecordingProxy(stack.url, { loseFirstResponses: 1 });
    try {
      const userId = `retry-${randomUUID()}`;
      const analytics = segment(proxy.url, { maxRetries: 3 });

      analytics.track({
        userId,
        event: 'Order Completed',
        messageId: `order-${userId}`,
        properties: { total: 42 },
      });
      await analytics.closeAndFlush();

      // The library sent the batch twice; both landed in the stream.
      expect(proxy.exchanges.map((e) => e.status)).toEqual([200, 200]);
      await eventually(async () => ((await streamed([userId])).length === 2 ? true : undefined));
      const state = await stateAfter(userId, 1);
      // Give a second copy every chance to be applied before counting.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await loadCustomerState(stack.tenantId, userId))?.eventCount).toBe(1);
      expect(state.recentMessageIds).toContain(messageIdKey(`order-${userId}`));
    } finally {
      await proxy.close();
    }
  });
});
