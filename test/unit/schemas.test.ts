import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Journey } from '../../schemas/journey.js';
import { DemoSeed } from '../../schemas/seed.js';
import { customerIdOf, partitionKeyOf } from '../../schemas/stream-record.js';
import {
  AliasInput,
  GroupInput,
  IdentifyInput,
  jsonBoundsViolation,
  PageInput,
  ScreenInput,
  TrackInput,
} from '../../schemas/tracking-api.js';
import { compileConsentingJourneys } from './support/consenting.js';

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

describe('TrackInput', () => {
  it('accepts a Segment track call, with or without its type', () => {
    const parsed = TrackInput.parse({ anonymousId: 'anon-1', event: 'Signed Up' });
    expect(parsed).toEqual({ anonymousId: 'anon-1', event: 'Signed Up' });
    expect(TrackInput.safeParse(track()).success).toBe(true);
    expect(TrackInput.safeParse(track({ type: 'identify' })).success).toBe(false);
  });

  it('requires a userId or an anonymousId, and says so on userId', () => {
    const result = TrackInput.safeParse(track({ userId: undefined }));
    expect(result.success).toBe(false);
    expect(issuePaths(result)).toEqual([['userId']]);
    expect(result.error?.issues[0]?.message).toMatch(/userId or anonymousId/);
  });

  it('takes null for an absent field, as Segment libraries of other languages send it', () => {
    expect(TrackInput.safeParse(track({ anonymousId: null, context: null, timestamp: null })).success).toBe(
      true,
    );
    expect(issuePaths(TrackInput.safeParse(track({ userId: null, anonymousId: null })))).toEqual([
      ['userId'],
    ]);
  });

  it('accepts ISO-8601 timestamps with Z or an offset, and rejects others', () => {
    for (const timestamp of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123+02:00']) {
      expect(TrackInput.safeParse(track({ timestamp })).success, timestamp).toBe(true);
    }
    for (const timestamp of [
      '2024-05-01',
      '2024-05-01 12:00:00Z',
      '2024-05-01T12:00:00',
      'Wed, 01 May 2024 12:00:00 GMT',
      '1714564800',
      1714564800,
      '2024-13-01T12:00:00Z',
      '2024-05-01T23:59:60Z',
    ]) {
      const result = TrackInput.safeParse(track({ timestamp }));
      expect(result.success, String(timestamp)).toBe(false);
      expect(issuePaths(result)).toEqual([['timestamp']]);
    }
    for (const field of ['sentAt', 'originalTimestamp']) {
      expect(issuePaths(TrackInput.safeParse(track({ [field]: 'yesterday' })))).toEqual([[field]]);
    }
  });

  it('accepts a messageId of 100 characters and rejects 101', () => {
    expect(TrackInput.safeParse(track({ messageId: 'm'.repeat(100) })).success).toBe(true);
    expect(issuePaths(TrackInput.safeParse(track({ messageId: 'm'.repeat(101) })))).toEqual([['messageId']]);
  });

  it('accepts ids of 256 characters and rejects 257', () => {
    for (const field of ['userId', 'anonymousId']) {
      expect(TrackInput.safeParse(track({ [field]: 'x'.repeat(256) })).success, field).toBe(true);
      expect(issuePaths(TrackInput.safeParse(track({ [field]: 'x'.repeat(257) })))).toEqual([[field]]);
    }
  });

  it('rejects empty ids and event names', () => {
    expect(TrackInput.safeParse(track({ userId: '' })).success).toBe(false);
    expect(TrackInput.safeParse(track({ event: '' })).success).toBe(false);
  });

  it('rejects properties, context and integrations that are not objects', () => {
    for (const field of ['properties', 'context', 'integrations']) {
      for (const value of ['shoes', 42, ['shoes'], true]) {
        expect(issuePaths(TrackInput.safeParse(track({ [field]: value }))), `${field}=${value}`).toEqual([
          [field],
        ]);
      }
    }
  });

  it('accepts only a known channel in context.channel and a string store id', () => {
    expect(TrackInput.safeParse(track({ context: { channel: 'store' } })).success).toBe(true);
    expect(issuePaths(TrackInput.safeParse(track({ context: { channel: 'pos' } })))).toEqual([
      ['context', 'channel'],
    ]);
    expect(issuePaths(TrackInput.safeParse(track({ context: { location: { storeId: 12 } } })))).toEqual([
      ['context', 'location', 'storeId'],
    ]);
  });
});

describe('the other call inputs', () => {
  const ids = { userId: 'user-1', anonymousId: 'device-1' };

  it('take traits on identify and group, and a groupId on group', () => {
    expect(IdentifyInput.safeParse({ ...ids, traits: { email: 'a@b.c' } }).success).toBe(true);
    expect(issuePaths(IdentifyInput.safeParse({ ...ids, traits: 'vip' }))).toEqual([['traits']]);
    expect(issuePaths(GroupInput.safeParse({ ...ids }))).toEqual([['groupId']]);
    expect(GroupInput.safeParse({ ...ids, groupId: 'acme-corp', traits: { plan: 'gold' } }).success).toBe(
      true,
    );
  });

  it('take an optional name and category on page and screen', () => {
    for (const schema of [PageInput, ScreenInput]) {
      expect(schema.safeParse({ ...ids }).success).toBe(true);
      expect(schema.safeParse({ ...ids, name: 'Home', category: 'Docs', properties: {} }).success).toBe(true);
      expect(issuePaths(schema.safeParse({ ...ids, name: 7 }))).toEqual([['name']]);
    }
  });

  it('need userId and previousId on alias, and no anonymousId', () => {
    expect(AliasInput.safeParse({ userId: 'user-1', previousId: 'device-1' }).success).toBe(true);
    expect(issuePaths(AliasInput.safeParse({ anonymousId: 'device-1', previousId: 'x' }))).toEqual([
      ['userId'],
    ]);
    expect(issuePaths(AliasInput.safeParse({ userId: 'user-1' }))).toEqual([['previousId']]);
  });
});

describe('jsonBoundsViolation', () => {
  const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : { next: nested(levels - 1) });

  it('lets properties nest 8 levels deep and points at the ninth', () => {
    expect(jsonBoundsViolation({ properties: nested(8) })).toBeUndefined();
    const found = jsonBoundsViolation({ properties: nested(9) });
    expect(found?.path).toEqual(['properties', ...Array(8).fill('next')]);
    expect(found?.message).toMatch(/8 levels/);
  });

  it('counts arrays as levels too', () => {
    const deepArray = JSON.parse(`${'['.repeat(20)}1${']'.repeat(20)}`);
    expect(jsonBoundsViolation({ context: { list: deepArray } })?.path.slice(0, 3)).toEqual([
      'context',
      'list',
      0,
    ]);
  });

  it('allows 500 keys in an object and refuses 501', () => {
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
    expect(jsonBoundsViolation({ traits: keys(500) })).toBeUndefined();
    expect(jsonBoundsViolation({ traits: keys(501) })).toEqual({
      path: ['traits'],
      message: expect.any(String),
    });
  });

  it('walks a 100,000-level structure without overflowing the stack', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    expect(jsonBoundsViolation({ properties: deep })?.path).toHaveLength(9);
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
    const published = compileConsentingJourneys(seed.journeys);
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

  it('reads the simple form as a one-step journey, filling in version, channel, payload and reentry', () => {
    expect(Journey.parse(base)).toMatchObject({
      version: 1,
      start: 'fire',
      steps: { fire: { type: 'action', action: { id: 'remind', channel: 'webhook', payload: {} } } },
      reentry: { mode: 'always' },
    });
  });

  it('rejects an unknown operator', () => {
    const result = Journey.safeParse(withCondition({ path: 'properties.total', op: 'regex', value: '.*' }));
    expect(result.success).toBe(false);
    expect(issuePaths(result)[0]?.slice(0, 3)).toEqual(['trigger', 'conditions', 0]);
  });

  it('rejects a path outside the event and the profile traits', () => {
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
    const result = TrackInput.safeParse({ userId: 'anon:device-9', event: 'Product Viewed' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['userId']);
  });
});
