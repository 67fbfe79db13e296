import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileJourneys } from '../../lambdas/core/engine.js';
import { Journey } from '../../schemas/journey.js';
import { DemoSeed } from '../../schemas/seed.js';
import { customerIdOf, partitionKeyOf } from '../../schemas/stream-record.js';
import { TrackBatch, TrackEvent } from '../../schemas/track-event.js';

const track = (overrides: Record<string, unknown> = {}) => ({
  type: 'track',
  userId: 'user-1',
  event: 'Product Viewed',
  properties: { category: 'shoes' },
  timestamp: '2024-05-01T12:00:00.000Z',
  messageId: 'msg-1',
  ...overrides,
});

const issuePaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.error?.issues.map((issue) => issue.path) ?? [];

describe('TrackEvent', () => {
  it('accepts a Segment track call and defaults its properties', () => {
    const parsed = TrackEvent.parse({ anonymousId: 'anon-1', event: 'Signed Up' });
    expect(parsed).toEqual({ anonymousId: 'anon-1', event: 'Signed Up', properties: {} });
    expect(TrackEvent.safeParse(track()).success).toBe(true);
  });

  it('requires a userId or an anonymousId, and says so on userId', () => {
    const result = TrackEvent.safeParse(track({ userId: undefined }));
    expect(result.success).toBe(false);
    expect(issuePaths(result)).toEqual([['userId']]);
    expect(result.error?.issues[0]?.message).toMatch(/userId or anonymousId/);
  });

  it('points at the offending call inside a batch', () => {
    const batch = [track(), track(), track(), track({ userId: undefined })];
    expect(issuePaths(TrackBatch.safeParse({ batch }))).toEqual([['batch', 3, 'userId']]);
  });

  it('accepts ISO-8601 timestamps with Z or an offset, and rejects others', () => {
    for (const timestamp of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123+02:00']) {
      expect(TrackEvent.safeParse(track({ timestamp })).success, timestamp).toBe(true);
    }
    for (const timestamp of [
      '2024-05-01',
      '2024-05-01 12:00:00Z',
      '2024-05-01T12:00:00',
      'Wed, 01 May 2024 12:00:00 GMT',
      '1714564800',
      1714564800,
      '2024-13-01T12:00:00Z',
    ]) {
      const result = TrackEvent.safeParse(track({ timestamp }));
      expect(result.success, String(timestamp)).toBe(false);
      expect(issuePaths(result)).toEqual([['timestamp']]);
    }
  });

  it('accepts a messageId of 100 characters and rejects 101', () => {
    expect(TrackEvent.safeParse(track({ messageId: 'm'.repeat(100) })).success).toBe(true);
    expect(issuePaths(TrackEvent.safeParse(track({ messageId: 'm'.repeat(101) })))).toEqual([['messageId']]);
  });

  it('accepts ids of 256 characters and rejects 257', () => {
    for (const field of ['userId', 'anonymousId']) {
      expect(TrackEvent.safeParse(track({ [field]: 'x'.repeat(256) })).success, field).toBe(true);
      expect(issuePaths(TrackEvent.safeParse(track({ [field]: 'x'.repeat(257) })))).toEqual([[field]]);
    }
  });

  it('rejects empty ids and event names', () => {
    expect(TrackEvent.safeParse(track({ userId: '' })).success).toBe(false);
    expect(TrackEvent.safeParse(track({ event: '' })).success).toBe(false);
  });
});

describe('TrackBatch', () => {
  it('accepts from 1 to 2500 calls', () => {
    expect(TrackBatch.safeParse({ batch: [track()] }).success).toBe(true);
    expect(TrackBatch.safeParse({ batch: Array.from({ length: 2_500 }, () => track()) }).success).toBe(true);
  });

  it('rejects an empty batch and one of more than 2500 calls', () => {
    expect(issuePaths(TrackBatch.safeParse({ batch: [] }))).toEqual([['batch']]);
    expect(issuePaths(TrackBatch.safeParse({ batch: Array.from({ length: 2_501 }, () => track()) }))).toEqual(
      [['batch']],
    );
  });
});

describe('DemoSeed', () => {
  const demo = JSON.parse(
    readFileSync(new URL('../../config/demo.json', import.meta.url), 'utf8'),
  ) as unknown;

  it('parses config/demo.json', () => {
    const result = DemoSeed.safeParse(demo);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('has published demo journeys that the engine can run', () => {
    const seed = DemoSeed.parse(demo);
    const published = compileJourneys(seed.journeys);
    const total = [...published.byTriggerEvent.values()].reduce((sum, list) => sum + list.length, 0);
    expect(total).toBeGreaterThan(0);
    expect(new Set(seed.journeys.map((j) => j.id)).size).toBe(seed.journeys.length);
  });
});

describe('Journey', () => {
  const base = {
    id: 'cart-reminder',
    name: 'Cart reminder',
    status: 'published',
    trigger: { event: 'Cart Updated', conditions: [] as unknown[] },
    action: { id: 'remind' },
  };
  const withCondition = (condition: unknown) => ({
    ...base,
    trigger: { ...base.trigger, conditions: [condition] },
  });

  it('fills in version, channel, payload and reentry', () => {
    expect(Journey.parse(base)).toMatchObject({
      version: 1,
      action: { id: 'remind', channel: 'webhook', payload: {} },
      reentry: 'always',
    });
  });

  it('rejects an unknown operator', () => {
    const result = Journey.safeParse(withCondition({ path: 'properties.total', op: 'regex', value: '.*' }));
    expect(result.success).toBe(false);
    expect(issuePaths(result)[0]?.slice(0, 3)).toEqual(['trigger', 'conditions', 0]);
  });

  it('rejects a path outside properties, context, event, userId and anonymousId', () => {
    for (const path of [
      'secrets.token',
      'properties',
      'Properties.total',
      'properties..total',
      '.properties',
    ]) {
      const result = Journey.safeParse(withCondition({ path, op: 'exists' }));
      if (path === 'properties') {
        expect(result.success, path).toBe(true);
        continue;
      }
      expect(result.success, path).toBe(false);
      expect(issuePaths(result)).toEqual([['trigger', 'conditions', 0, 'path']]);
    }
    for (const path of ['properties.cart.total', 'context.page.path', 'userId', 'anonymousId', 'event']) {
      expect(Journey.safeParse(withCondition({ path, op: 'exists' })).success, path).toBe(true);
    }
  });

  it('rejects a numeric comparison against a string', () => {
    expect(
      Journey.safeParse(withCondition({ path: 'properties.total', op: 'gt', value: '100' })).success,
    ).toBe(false);
  });
});

describe('partitionKeyOf', () => {
  it('is stable for the same tenant and customer', () => {
    expect(partitionKeyOf('acme', 'jane@example.com')).toBe(partitionKeyOf('acme', 'jane@example.com'));
  });

  it('fits in the 256-character Kinesis limit for a 256-character id and does not reveal it', () => {
    const id = `${'j'.repeat(244)}@example.com`;
    expect(id).toHaveLength(256);
    const key = partitionKeyOf('a-tenant-with-a-rather-long-slug-name-of-sixty-four-characters-x', id);
    expect(key.length).toBeGreaterThan(0);
    expect(key.length).toBeLessThanOrEqual(256);
    expect(key).not.toContain('example.com');
  });

  it('differs by tenant and by customer', () => {
    const keys = [
      partitionKeyOf('acme', 'jane'),
      partitionKeyOf('globex', 'jane'),
      partitionKeyOf('acme', 'john'),
      partitionKeyOf('acm', 'ejane'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('customerIdOf', () => {
  it('prefers the userId over the anonymousId', () => {
    expect(customerIdOf({ userId: 'user-1', anonymousId: 'device-9' })).toBe('user-1');
  });

  it('prefixes anonymous ids so they cannot pass for a user id', () => {
    expect(customerIdOf({ anonymousId: 'device-9' })).toBe('anon:device-9');
    expect(customerIdOf({ anonymousId: 'user-1' })).not.toBe(customerIdOf({ userId: 'user-1' }));
  });

  it("refuses a userId in the anonymous namespace, so no user gets an anonymous visitor's key", () => {
    const result = TrackEvent.safeParse({ userId: 'anon:device-9', event: 'Product Viewed' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['userId']);
  });
});
