import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY } from '../../../lambdas/core/decisioning/caps-history.js';
import { rankChannels } from '../../../lambdas/core/decisioning/channel-choice.js';
import { decide } from '../../../lambdas/core/decisioning/decide.js';
import { renderContent, renderTemplate } from '../../../lambdas/core/decisioning/template.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import { candidate, catalogAction, contextOf, MIN, policyOf, timezone } from './support.js';

describe('quiet hours in the customer’s time zone (21:00–08:00)', () => {
  const policy = policyOf([catalogAction('mail', { channel: 'email' })], {
    quietHours: { start: '21:00', end: '08:00' },
  });
  const reasonAt = (iso: string, zone: string) =>
    decide([candidate('mail')], contextOf(timezone(zone)), policy, EMPTY_HISTORY, Date.parse(iso))
      .decisions[0]?.reason;

  it.each([
    // Paris: UTC+1 until 29 March 2026 02:00, UTC+2 after.
    ['2026-03-28T06:30:00Z', 'Europe/Paris', 'quiet_hours'], // 07:30 CET
    ['2026-03-28T07:00:00Z', 'Europe/Paris', undefined], // 08:00 CET: quiet hours are over
    ['2026-03-29T06:30:00Z', 'Europe/Paris', undefined], // 08:30 CEST: the same UTC time, an hour later locally
    ['2026-03-29T05:59:00Z', 'Europe/Paris', 'quiet_hours'], // 07:59 CEST
    ['2026-03-28T19:59:00Z', 'Europe/Paris', undefined], // 20:59 CET
    ['2026-03-28T20:00:00Z', 'Europe/Paris', 'quiet_hours'], // 21:00 CET
    // New York: EST (UTC−5) until 8 March 2026 02:00, EDT (UTC−4) after.
    ['2026-03-07T12:30:00Z', 'America/New_York', 'quiet_hours'], // 07:30 EST
    ['2026-03-08T12:30:00Z', 'America/New_York', undefined], // 08:30 EDT
    ['2026-03-29T06:30:00Z', 'America/New_York', 'quiet_hours'], // 02:30 EDT, while Paris is awake
    // Autumn back: Paris leaves CEST on 25 October 2026 03:00 → 02:00.
    ['2026-10-25T06:30:00Z', 'Europe/Paris', 'quiet_hours'], // 07:30 CET
    ['2026-10-24T06:30:00Z', 'Europe/Paris', undefined], // 08:30 CEST
  ])('at %s in %s: %s', (iso, zone, reason) => {
    expect(reasonAt(iso, zone)).toBe(reason);
  });

  it('does not silence a live real-time channel, and falls back to it from a quiet outbound one', () => {
    const night = Date.parse('2026-03-28T23:00:00Z');
    const both = policyOf([catalogAction('tip', { channels: ['email', 'web'] })], {
      quietHours: { start: '21:00', end: '08:00' },
    });
    const onWeb: Partial<CustomerState> = {
      ...timezone('Europe/Paris'),
      channels: { web: { lastSeenAt: new Date(night - MIN).toISOString() } },
    };
    expect(
      decide([candidate('tip')], contextOf(onWeb), both, EMPTY_HISTORY, night).decisions[0],
    ).toMatchObject({ outcome: 'taken', channel: 'web' });
  });
});

describe('quiet hours that defer', () => {
  const deferring = policyOf([catalogAction('mail', { channel: 'email' })], {
    quietHours: { start: '21:00', end: '08:00', mode: 'defer' },
  });

  it('takes an email decided at 23:00 in Paris and sends it at 08:00 Paris time, counting it at once', () => {
    const night = Date.parse('2026-03-28T22:00:00Z'); // 23:00 CET
    const result = decide(
      [candidate('mail')],
      contextOf(timezone('Europe/Paris')),
      deferring,
      EMPTY_HISTORY,
      night,
    );
    expect(result.decisions[0]).toMatchObject({
      outcome: 'taken',
      channel: 'email',
      deliverAt: '2026-03-29T06:00:00.000Z', // 08:00 CEST: the clocks went forward that night
      explanation: expect.stringContaining('when your quiet hours end'),
    });
    expect(result.taken[0]?.deliverAt).toBe(Date.parse('2026-03-29T06:00:00.000Z'));
    // Counted against caps when decided, so the morning does not bring a second one.
    expect(result.history.entries).toEqual([expect.objectContaining({ kind: 'sent', action: 'mail' })]);
  });

  it('sends at once outside quiet hours, and prefers a live channel to a deferred one', () => {
    const day = Date.parse('2026-03-28T12:00:00Z');
    const now = decide(
      [candidate('mail')],
      contextOf(timezone('Europe/Paris')),
      deferring,
      EMPTY_HISTORY,
      day,
    );
    expect(now.decisions[0]?.deliverAt).toBeUndefined();
    expect(now.taken[0]?.deliverAt).toBeUndefined();

    const night = Date.parse('2026-03-28T23:00:00Z');
    const both = policyOf([catalogAction('tip', { channels: ['email', 'web'] })], {
      quietHours: { start: '21:00', end: '08:00', mode: 'defer' },
    });
    const onWeb: Partial<CustomerState> = {
      ...timezone('Europe/Paris'),
      channels: { web: { lastSeenAt: new Date(night - MIN).toISOString() } },
    };
    const live = decide([candidate('tip')], contextOf(onWeb), both, EMPTY_HISTORY, night);
    expect(live.decisions[0]).toMatchObject({ outcome: 'taken', channel: 'web' });
    expect(live.decisions[0]?.deliverAt).toBeUndefined();
  });
});

describe('channel choice', () => {
  const presence = { session: '30m', store: '1h' };
  const at = Date.parse('2026-03-10T10:30:00Z');
  const ago = (minutes: number) => new Date(at - minutes * MIN).toISOString();

  it('follows the customer from the website into the store', () => {
    const browsing = { channels: { web: { lastSeenAt: ago(1) } } };
    const inStore = {
      channels: { web: { lastSeenAt: ago(20) } },
      lastStoreVisit: { storeId: 'paris-9', at: ago(2) },
    };
    const allowed = ['web', 'store', 'email'] as const;
    expect(rankChannels(allowed, browsing, presence, at)).toEqual(['web', 'email']);
    expect(rankChannels(allowed, inStore, presence, at)).toEqual(['store', 'web', 'email']);
    const policy = policyOf([catalogAction('greet', { channels: [...allowed] })]);
    expect(
      decide([candidate('greet')], contextOf(inStore), policy, EMPTY_HISTORY, at).decisions[0]?.channel,
    ).toBe('store');
  });

  it('offers the app or the store to a customer browsing the app inside a store, the most recent first', () => {
    const state = {
      channels: { mobile: { lastSeenAt: ago(0) } },
      lastStoreVisit: { storeId: 's1', zone: 'shoes', at: ago(5) },
    };
    expect(rankChannels(['store', 'mobile'], state, presence, at)).toEqual(['mobile', 'store']);
    expect(rankChannels(['store'], state, presence, at)).toEqual(['store']);
  });

  it('counts a session live up to its window and no longer', () => {
    expect(rankChannels(['web'], { channels: { web: { lastSeenAt: ago(30) } } }, presence, at)).toEqual([
      'web',
    ]);
    expect(rankChannels(['web'], { channels: { web: { lastSeenAt: ago(31) } } }, presence, at)).toEqual([]);
    expect(rankChannels(['store'], { lastStoreVisit: { storeId: 's', at: ago(61) } }, presence, at)).toEqual(
      [],
    );
  });

  it('suppresses an action whose channels are all real-time and none is live', () => {
    const policy = policyOf([catalogAction('screen', { channels: ['store'] })]);
    expect(decide([candidate('screen')], contextOf(), policy, EMPTY_HISTORY, at).decisions[0]?.reason).toBe(
      'no_live_channel',
    );
  });
});

describe('content templates', () => {
  it('fills values from the profile and the event, with defaults for what is missing', () => {
    const scope = { traits: { firstName: 'Ada', points: 120 }, properties: { cart: { total: 59.9 } } };
    expect(
      renderTemplate(
        'Hi {{ traits.firstName }}, {{ traits.points }} pts, cart {{properties.cart.total}}',
        scope,
      ),
    ).toBe('Hi Ada, 120 pts, cart 59.9');
    expect(renderTemplate('Hi {{ traits.nickname | default: "there" }}{{ traits.none }}!', scope)).toBe(
      'Hi there!',
    );
    expect(renderTemplate("{{ traits.age | default: 'n/a' }} {{ traits.age | default: 18 }}", scope)).toBe(
      'n/a 18',
    );
    expect(
      renderContent({ title: 'Hi {{ traits.firstName }}', list: ['{{ traits.points }}'], n: 3 }, scope),
    ).toEqual({ title: 'Hi Ada', list: ['120'], n: 3 });
  });

  it('executes nothing and reads no prototype', () => {
    const scope = { traits: {} };
    expect(renderTemplate('{{ constructor.constructor("return process")() }}', scope)).toBe(
      '{{ constructor.constructor("return process")() }}',
    );
    expect(
      renderTemplate('{{ traits.constructor }}{{ __proto__ }}{{ traits.toString | default: "x" }}', scope),
    ).toBe('x');
    expect(renderTemplate('{{ traits }}', { traits: { a: 1 } })).toBe('');
  });

  it('renders the chosen action’s catalog content, the step payload winning', () => {
    const policy = policyOf([
      catalogAction('mail', {
        content: { subject: 'Hi {{ traits.firstName | default: "there" }}', body: 'x' },
      }),
    ]);
    const mail = candidate('mail', {
      payload: { body: 'Cart of {{ properties.total }}' },
      event: { properties: { total: 80 } },
    });
    const taken = decide([mail], contextOf(), policy, EMPTY_HISTORY, Date.parse('2026-03-10T12:00:00Z'))
      .taken[0];
    expect(taken?.payload).toEqual({ subject: 'Hi there', body: 'Cart of 80' });
  });
});
