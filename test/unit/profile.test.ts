import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCallToProfile, emptyProfile, mergeProfiles, withTraits } from '../../lambdas/core/profile.js';
import type { JsonObject } from '../../schemas/common.js';
import { ANONYMOUS_IDS_KEPT, type CustomerState, type Profile } from '../../schemas/customer-state.js';
import type { Channel, SegmentCall } from '../../schemas/segment-call.js';

const USER = 'user-42';
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-02T10:00:00.000Z';
const T3 = '2024-05-03T10:00:00.000Z';

const stateOf = (overrides: Partial<CustomerState> = {}): CustomerState => ({
  tenantId: 'acme',
  customerId: USER,
  version: 0,
  recentMessageIds: [],
  eventCount: 0,
  firstSeenAt: T1,
  lastSeenAt: T1,
  journeys: {},
  ...overrides,
});

let messageNumber = 0;

interface CommonOverrides {
  /** `null`: a call without a user id. */
  userId?: string | null;
  anonymousId?: string;
  channel?: Channel;
  context?: JsonObject;
  receivedAt?: string;
}

/** The fields every normalised call has; `receivedAt` later than `timestamp` unless told. */
function common(timestamp: string, overrides: CommonOverrides) {
  const { userId = USER, anonymousId, ...rest } = overrides;
  messageNumber += 1;
  return {
    messageId: `m-${messageNumber}`,
    ...(userId === null ? {} : { userId }),
    ...(anonymousId === undefined ? {} : { anonymousId }),
    timestamp,
    receivedAt: new Date(Date.parse(timestamp) + 5_000).toISOString(),
    channel: 'web' as Channel,
    context: {},
    ...rest,
  };
}

const identify = (traits: JsonObject, timestamp: string, overrides: CommonOverrides = {}): SegmentCall => ({
  type: 'identify',
  traits,
  ...common(timestamp, overrides),
});

const group = (groupId: string, traits: JsonObject, timestamp: string): SegmentCall => ({
  type: 'group',
  groupId,
  traits,
  ...common(timestamp, {}),
});

const track = (
  timestamp: string,
  overrides: CommonOverrides & { properties?: JsonObject; event?: string } = {},
): SegmentCall => {
  const { properties = {}, event = 'Product Viewed', ...rest } = overrides;
  return { type: 'track', event, properties, ...common(timestamp, rest) };
};

const applyAll = (calls: readonly SegmentCall[], state: CustomerState = stateOf()) =>
  calls.reduce(applyCallToProfile, state);

const traitsOf = (profile: Profile | undefined) =>
  Object.fromEntries(Object.entries(profile?.traits ?? {}).map(([name, trait]) => [name, trait.value]));

describe('withTraits', () => {
  it('stamps each trait with the time it was set and leaves groups and anonymous ids alone', () => {
    const before: Profile = { ...emptyProfile(), anonymousIds: ['dev-1'] };
    const profile = withTraits(before, { email: 'claire@example.com', age: 31 }, T1);

    expect(profile).toEqual({
      traits: {
        email: { value: 'claire@example.com', updatedAt: T1 },
        age: { value: 31, updatedAt: T1 },
      },
      groups: {},
      anonymousIds: ['dev-1'],
    });
    expect(before.traits).toEqual({});
  });

  it('keeps a newer value when an older one arrives late, and still sets the traits it did not know', () => {
    const current = withTraits(emptyProfile(), { email: 'new@example.com' }, T2);

    const profile = withTraits(current, { email: 'old@example.com', phone: '+33 1 23' }, T1);

    expect(profile.traits).toEqual({
      email: { value: 'new@example.com', updatedAt: T2 },
      phone: { value: '+33 1 23', updatedAt: T1 },
    });
  });

  it('compares times as instants, whatever their offsets', () => {
    const current = withTraits(emptyProfile(), { plan: 'pro' }, '2024-05-01T11:00:00Z');
    // 12:30 in Paris is 10:30 UTC: older, although its text sorts after the stored one.
    const late = withTraits(current, { plan: 'free' }, '2024-05-01T12:30:00+02:00');
    // 12:30 in New York is 16:30 UTC: newer, although its text sorts before the stored one.
    const newer = withTraits(current, { plan: 'team' }, '2024-05-01T10:30:00-06:00');

    expect(late.traits.plan?.value).toBe('pro');
    expect(newer.traits.plan?.value).toBe('team');
  });
});

describe('applyCallToProfile: traits', () => {
  it("sets an identify call's traits at the time the call happened, not when it was received", () => {
    const state = applyCallToProfile(stateOf(), identify({ email: 'claire@example.com', plan: 'pro' }, T1));

    expect(state.profile).toEqual({
      traits: {
        email: { value: 'claire@example.com', updatedAt: T1 },
        plan: { value: 'pro', updatedAt: T1 },
      },
      groups: {},
      anonymousIds: [],
    });
  });

  it('does not let an older identify arriving late overwrite a newer trait, but sets traits not known yet', () => {
    const state = applyAll([
      identify({ email: 'new@example.com', plan: 'pro' }, T3),
      identify({ email: 'old@example.com', city: 'Lyon' }, T1),
    ]);

    expect(state.profile?.traits).toEqual({
      email: { value: 'new@example.com', updatedAt: T3 },
      plan: { value: 'pro', updatedAt: T3 },
      city: { value: 'Lyon', updatedAt: T1 },
    });
  });

  it('lets a newer identify overwrite only the traits it carries', () => {
    const state = applyAll([
      identify({ email: 'old@example.com', plan: 'pro' }, T1),
      identify({ email: 'new@example.com' }, T2),
    ]);

    expect(traitsOf(state.profile)).toEqual({ email: 'new@example.com', plan: 'pro' });
    expect(state.profile?.traits.email?.updatedAt).toBe(T2);
  });

  it('creates no profile for a track call of a known user', () => {
    const state = applyCallToProfile(stateOf(), track(T1, { properties: { category: 'shoes' } }));

    expect(state.profile).toBeUndefined();
  });
});

describe('applyCallToProfile: groups', () => {
  it('keeps the traits of each group apart, the newest call of a group winning', () => {
    const state = applyAll([
      group('acme-corp', { plan: 'enterprise', seats: 50 }, T2),
      group('globex', { plan: 'starter' }, T1),
      group('acme-corp', { plan: 'team' }, T1), // older, arrives late: ignored
      group('globex', { plan: 'growth' }, T3),
    ]);

    expect(state.profile?.groups).toEqual({
      'acme-corp': { traits: { plan: 'enterprise', seats: 50 }, updatedAt: T2 },
      globex: { traits: { plan: 'growth' }, updatedAt: T3 },
    });
    expect(state.profile?.traits).toEqual({});
  });

  it("keeps a customer's traits when a group call arrives", () => {
    const state = applyAll([
      identify({ email: 'claire@example.com' }, T1),
      group('acme-corp', { seats: 3 }, T2),
    ]);

    expect(traitsOf(state.profile)).toEqual({ email: 'claire@example.com' });
  });
});

describe('applyCallToProfile: channels', () => {
  it('remembers when the customer was last seen on each channel, newest wins, late calls change nothing', () => {
    const state = applyAll([
      track(T2, { channel: 'web' }),
      track(T1, { channel: 'store' }),
      track(T1, { channel: 'web' }), // older, arrives late
      track(T3, { channel: 'mobile' }),
      track(T2, { channel: 'store' }),
    ]);

    expect(state.channels).toEqual({
      web: { lastSeenAt: T2 },
      store: { lastSeenAt: T2 },
      mobile: { lastSeenAt: T3 },
    });
  });

  it('counts every kind of call as presence on its channel', () => {
    const state = applyAll([identify({}, T1, { channel: 'call_center' }), group('g', {}, T2)]);

    expect(state.channels).toEqual({ call_center: { lastSeenAt: T1 }, web: { lastSeenAt: T2 } });
  });

  it('keeps a channel it does not know, written by a newer version, and leaves the stored map as it was', () => {
    const channels = Object.freeze({
      kiosk: { lastSeenAt: T1 },
      web: { lastSeenAt: T1 },
    }) as CustomerState['channels'];
    const state = applyCallToProfile(stateOf({ channels }), track(T2, { channel: 'store' }));

    expect(state.channels).toEqual({
      kiosk: { lastSeenAt: T1 },
      web: { lastSeenAt: T1 },
      store: { lastSeenAt: T2 },
    });
    expect(channels).toEqual({ kiosk: { lastSeenAt: T1 }, web: { lastSeenAt: T1 } });
  });
});

describe('applyCallToProfile: store visits', () => {
  const inStore = (timestamp: string, storeId: string, zone?: string) =>
    track(timestamp, {
      channel: 'store',
      context: { location: { storeId, city: 'Lyon' } },
      properties: zone === undefined ? {} : { zone },
    });

  it("records the store from context.location.storeId and the zone from the call's properties", () => {
    const state = applyCallToProfile(stateOf(), inStore(T1, 'lyon-part-dieu', 'shoes'));

    expect(state.lastStoreVisit).toEqual({ storeId: 'lyon-part-dieu', zone: 'shoes', at: T1 });
  });

  it('records a visit without a zone when the call names none', () => {
    const state = applyCallToProfile(stateOf(), inStore(T1, 'lyon-part-dieu'));

    expect(state.lastStoreVisit).toEqual({ storeId: 'lyon-part-dieu', at: T1 });
  });

  it('keeps the newest visit: a newer one replaces it, an older one arriving late does not', () => {
    const state = applyAll([
      inStore(T1, 'lyon-part-dieu', 'shoes'),
      inStore(T3, 'paris-opera', 'bags'),
      inStore(T2, 'lyon-part-dieu', 'coats'),
    ]);

    expect(state.lastStoreVisit).toEqual({ storeId: 'paris-opera', zone: 'bags', at: T3 });
  });

  it('keeps the last visit when a call carries no store', () => {
    const state = applyAll([
      inStore(T1, 'lyon-part-dieu', 'shoes'),
      track(T2, { channel: 'web', properties: { zone: 'checkout' } }),
      track(T3, { context: { location: { city: 'Lyon' } } }),
    ]);

    expect(state.lastStoreVisit).toEqual({ storeId: 'lyon-part-dieu', zone: 'shoes', at: T1 });
  });
});

describe('applyCallToProfile: anonymous ids', () => {
  it('adds the anonymous id of an identify call that carries both ids, once', () => {
    const state = applyAll([
      identify({ email: 'claire@example.com' }, T1, { anonymousId: 'dev-1' }),
      identify({}, T2, { anonymousId: 'dev-1' }),
    ]);

    expect(state.profile?.anonymousIds).toEqual(['dev-1']);
  });

  it('adds nothing for a call with only one of the ids', () => {
    const state = applyAll([
      identify({ plan: 'pro' }, T1),
      track(T2, { userId: null, anonymousId: 'dev-1' }),
    ]);

    expect(state.profile?.anonymousIds).toEqual([]);
  });

  it(`keeps the last ${ANONYMOUS_IDS_KEPT} anonymous ids, newest last`, () => {
    const total = ANONYMOUS_IDS_KEPT + 5;
    const calls = Array.from({ length: total }, (_, i) =>
      identify({}, new Date(Date.parse(T1) + i * 60_000).toISOString(), { anonymousId: `dev-${i}` }),
    );

    const state = applyAll(calls);

    expect(state.profile?.anonymousIds).toEqual(
      Array.from({ length: ANONYMOUS_IDS_KEPT }, (_, i) => `dev-${i + 5}`),
    );
  });
});

describe('applyCallToProfile whatever the arrival order', () => {
  const names = ['email', 'plan', 'city', 'phone'] as const;
  const channels = ['web', 'mobile', 'store'] as const;
  const stores = ['lyon', 'paris'] as const;

  const callSpecs = fc
    .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 15 })
    .chain((minutes) =>
      fc.tuple(
        ...minutes.map((minute) =>
          fc.record({
            at: fc.constant(new Date(Date.parse(T1) + minute * 60_000).toISOString()),
            traits: fc.subarray([...names]),
            value: fc.nat(99),
            channel: fc.constantFrom(...channels),
            store: fc.option(fc.constantFrom(...stores), { nil: undefined }),
          }),
        ),
      ),
    );

  it('ends with the newest value of each trait, channel and store visit', () => {
    fc.assert(
      fc.property(
        callSpecs.chain((specs) => fc.shuffledSubarray(specs, { minLength: specs.length })),
        (specs) => {
          const calls = specs.map(
            (spec): SegmentCall =>
              identify(
                Object.fromEntries(spec.traits.map((name) => [name, `${name}-${spec.value}`])),
                spec.at,
                {
                  channel: spec.channel,
                  ...(spec.store === undefined ? {} : { context: { location: { storeId: spec.store } } }),
                },
              ),
          );
          const state = applyAll(calls);

          const byTime = [...specs].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
          const newest = <T>(pick: (spec: (typeof specs)[number]) => T | undefined) =>
            byTime.reduce<T | undefined>((last, spec) => pick(spec) ?? last, undefined);
          for (const name of names) {
            const expected = newest((spec) =>
              spec.traits.includes(name) ? { value: `${name}-${spec.value}`, updatedAt: spec.at } : undefined,
            );
            expect(state.profile?.traits[name]).toEqual(expected);
          }
          for (const channel of channels) {
            const expected = newest((spec) =>
              spec.channel === channel ? { lastSeenAt: spec.at } : undefined,
            );
            expect(state.channels?.[channel]).toEqual(expected);
          }
          expect(state.lastStoreVisit).toEqual(
            newest((spec) => (spec.store === undefined ? undefined : { storeId: spec.store, at: spec.at })),
          );
        },
      ),
    );
  });
});

describe('mergeProfiles', () => {
  const profile = (
    traits: Record<string, [unknown, string]>,
    groups: Record<string, [JsonObject, string]> = {},
    anonymousIds: string[] = [],
  ): Profile => ({
    traits: Object.fromEntries(
      Object.entries(traits).map(([name, [value, updatedAt]]) => [name, { value, updatedAt }]),
    ),
    groups: Object.fromEntries(
      Object.entries(groups).map(([id, [groupTraits, updatedAt]]) => [
        id,
        { traits: groupTraits, updatedAt },
      ]),
    ),
    anonymousIds,
  });

  it('keeps the newer value of each trait, whichever side it comes from', () => {
    const known = profile({ email: ['known@example.com', T3], plan: ['free', T1] });
    const joined = profile({ email: ['anon@example.com', T1], plan: ['pro', T2], city: ['Lyon', T1] });

    for (const merged of [mergeProfiles(known, joined), mergeProfiles(joined, known)]) {
      expect(merged?.traits).toEqual({
        email: { value: 'known@example.com', updatedAt: T3 },
        plan: { value: 'pro', updatedAt: T2 },
        city: { value: 'Lyon', updatedAt: T1 },
      });
    }
  });

  it('keeps the newer traits of each group, whichever side they come from', () => {
    const known = profile({}, { 'acme-corp': [{ seats: 5 }, T1], globex: [{ seats: 9 }, T3] });
    const joined = profile(
      {},
      { 'acme-corp': [{ seats: 7 }, T2], globex: [{ seats: 1 }, T1], initech: [{}, T1] },
    );

    for (const merged of [mergeProfiles(known, joined), mergeProfiles(joined, known)]) {
      expect(merged?.groups).toEqual({
        'acme-corp': { traits: { seats: 7 }, updatedAt: T2 },
        globex: { traits: { seats: 9 }, updatedAt: T3 },
        initech: { traits: {}, updatedAt: T1 },
      });
    }
  });

  it(`keeps the anonymous ids of both, once each, the joined ones last, at most ${ANONYMOUS_IDS_KEPT}`, () => {
    expect(
      mergeProfiles(profile({}, {}, ['dev-1', 'dev-2']), profile({}, {}, ['dev-2', 'dev-3']))?.anonymousIds,
    ).toEqual(['dev-1', 'dev-2', 'dev-3']);

    const many = (from: number, count: number) => Array.from({ length: count }, (_, i) => `dev-${from + i}`);
    const merged = mergeProfiles(profile({}, {}, many(0, 15)), profile({}, {}, many(100, 10)));
    expect(merged?.anonymousIds).toEqual([...many(5, 10), ...many(100, 10)]);
  });

  it('returns the other side when one side has no profile', () => {
    const only = profile({ email: ['claire@example.com', T1] }, {}, ['dev-1']);

    expect(mergeProfiles(undefined, only)).toEqual(only);
    expect(mergeProfiles(only, undefined)).toEqual(only);
    expect(mergeProfiles(undefined, undefined)).toBeUndefined();
  });

  it('gives the same traits whichever side is merged into which, when times differ', () => {
    const traitsArb = fc.dictionary(
      fc.constantFrom('email', 'plan', 'city'),
      fc.tuple(
        fc.string(),
        fc
          .integer({ min: 0, max: 1_000 })
          .map((minute) => new Date(Date.parse(T1) + minute * 60_000).toISOString()),
      ),
    );
    fc.assert(
      fc.property(traitsArb, traitsArb, (a, b) => {
        fc.pre(Object.keys(a).every((name) => b[name] === undefined || b[name][1] !== a[name]?.[1]));
        const one = mergeProfiles(profile(a), profile(b));
        const other = mergeProfiles(profile(b), profile(a));
        expect(one?.traits).toEqual(other?.traits);
        for (const [name, trait] of Object.entries(one?.traits ?? {})) {
          const candidates = [a[name], b[name]].filter((entry) => entry !== undefined);
          const newest = Math.max(...candidates.map(([, at]) => Date.parse(at)));
          expect(Date.parse(trait.updatedAt)).toBe(newest);
        }
      }),
    );
  });
});
