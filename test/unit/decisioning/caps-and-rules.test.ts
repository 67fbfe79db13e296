import { describe, expect, it } from 'vitest';
import { consentPolicyOf } from '../../../lambdas/core/consent/consent-policy.js';
import { EMPTY_HISTORY, withEntries } from '../../../lambdas/core/decisioning/caps-history.js';
import { decide } from '../../../lambdas/core/decisioning/decide.js';
import { feedbackEntries } from '../../../lambdas/core/decisioning/feedback.js';
import { applyRecordsToCustomer, compileJourneys } from '../../../lambdas/core/engine.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import type { CapsHistory, HistoryEntry } from '../../../schemas/decisioning.js';
import { seq, trackRecord } from '../support/journey-records.js';
import { candidate, catalogAction, contextOf, DAY, HOUR, MIN, policyOf, T0 } from './support.js';

const sent = (n: number, action: string, channel: HistoryEntry['channel'], at: number): HistoryEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'sent',
    id: `s-${action}-${at}-${i}`,
    action,
    channel,
    at: new Date(at).toISOString(),
  }));
const historyOf = (entries: HistoryEntry[]): CapsHistory => withEntries(EMPTY_HISTORY, entries, T0);
const GRANTING = consentPolicyOf({ purposes: { analytics: true, personalization: true }, channels: {} }, []);

/** A cap of 3 per `per`, checked with N-1, N and N+1 earlier sends inside the window, and N just outside it. */
describe.each([
  {
    kind: 'per action',
    action: { caps: [{ max: 3, per: '1d' }] },
    caps: [],
    capId: 'action:offer:1d',
    per: DAY,
  },
  {
    kind: 'per channel',
    action: {},
    caps: [{ id: 'email-week', channel: 'email', max: 3, per: '1w' }],
    capId: 'email-week',
    per: 7 * DAY,
  },
  { kind: 'global', action: {}, caps: [{ id: 'all-hour', max: 3, per: '1h' }], capId: 'all-hour', per: HOUR },
])('a frequency cap $kind', ({ action, caps, capId, per }) => {
  const policy = policyOf([catalogAction('offer', { channel: 'email', ...action })], {}, caps);
  const run = (history: CapsHistory) =>
    decide([candidate('offer')], contextOf(), policy, history, T0).decisions[0];

  it('allows the Nth send with N-1 sends in the window', () => {
    expect(run(historyOf(sent(2, 'offer', 'email', T0 - per + 1)))).toMatchObject({ outcome: 'taken' });
  });
  it('refuses the N+1th send with N sends in the window, and says which cap', () => {
    expect(run(historyOf(sent(3, 'offer', 'email', T0 - per + 1)))).toMatchObject({
      outcome: 'suppressed',
      reason: 'frequency_cap',
      cap: { id: capId, max: 3, count: 3 },
    });
  });
  it('refuses with N+1 sends in the window too', () => {
    expect(run(historyOf(sent(4, 'offer', 'email', T0 - MIN)))).toMatchObject({
      reason: 'frequency_cap',
      cap: { count: 4 },
    });
  });
  it('allows again once the oldest send is exactly one window old (rolling)', () => {
    const history = historyOf([
      ...sent(1, 'offer', 'email', T0 - per),
      ...sent(2, 'offer', 'email', T0 - MIN),
    ]);
    expect(run(history)).toMatchObject({ outcome: 'taken' });
  });
});

describe('caps within one moment and across replays', () => {
  it('counts the sends of the same moment: the second candidate meets the cap the first filled', () => {
    const policy = policyOf(
      [catalogAction('a', { channel: 'email' }), catalogAction('b', { channel: 'sms' })],
      {},
      [{ id: 'one-a-day', max: 1, per: '1d' }],
    );
    const result = decide(
      [candidate('a', { priority: 2 }), candidate('b')],
      contextOf(),
      policy,
      EMPTY_HISTORY,
      T0,
    );
    expect(result.decisions.map((d) => d.reason)).toEqual([undefined, 'frequency_cap']);
    expect(result.history.entries).toHaveLength(1);
  });

  it('decides a replayed candidate the same way and adds no second send', () => {
    const policy = policyOf([catalogAction('a', { caps: [{ max: 1, per: '1d' }] })]);
    const first = decide([candidate('a')], contextOf(), policy, EMPTY_HISTORY, T0);
    const again = decide([candidate('a')], contextOf(), policy, first.history, T0);
    expect(again.decisions).toEqual(first.decisions);
    expect(again.history.entries).toEqual(first.history.entries);
  });
});

describe('eligibility', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  it('refuses outside the validity dates (until is exclusive)', () => {
    const policy = policyOf([catalogAction('sale', { validFrom: at(T0 - DAY), validUntil: at(T0) })]);
    expect(decide([candidate('sale')], contextOf(), policy, EMPTY_HISTORY, T0).decisions[0]?.reason).toBe(
      'outside_validity',
    );
    expect(
      decide([candidate('sale')], contextOf(), policy, EMPTY_HISTORY, T0 - 1).decisions[0]?.outcome,
    ).toBe('taken');
  });

  it('refuses a customer the eligibility condition does not match', () => {
    const policy = policyOf([
      catalogAction('vip', { eligibility: { path: 'traits.tier', op: 'eq', value: 'gold' } }),
    ]);
    expect(decide([candidate('vip')], contextOf(), policy, EMPTY_HISTORY, T0).decisions[0]?.reason).toBe(
      'not_eligible',
    );
  });

  it('reads behaviour counts the engine keeps for the catalog: eligible after the third view of shoes in 7 days', () => {
    const policy = policyOf([
      catalogAction('shoe-offer', {
        eligibility: {
          count: {
            event: 'Product Viewed',
            where: [{ path: 'properties.category', op: 'eq', value: 'shoes' }],
            within: '7d',
          },
          op: 'gte',
          value: 3,
        },
      }),
    ]);
    expect(policy.countedConditions).toHaveLength(1);
    // No journey asks about shoes: the counter exists because the catalog does.
    const journeys = compileJourneys([], [], GRANTING, policy.countedConditions);
    let state: CustomerState | undefined;
    const reasons: (string | undefined)[] = [];
    for (const [i, category] of ['shoes', 'bags', 'shoes', 'shoes'].entries()) {
      const record = trackRecord('c1', 'Product Viewed', at(T0 + i * HOUR), `view-${i}`, { category });
      state = applyRecordsToCustomer(state, [{ sequenceNumber: seq(i), record }], journeys).state;
      const now = T0 + i * HOUR;
      reasons.push(
        decide([candidate('shoe-offer')], contextOf(state), policy, EMPTY_HISTORY, now).decisions[0]?.reason,
      );
    }
    expect(reasons).toEqual(['not_eligible', 'not_eligible', 'not_eligible', undefined]);
    // Eight days later the views have left the window.
    const later = decide([candidate('shoe-offer')], contextOf(state), policy, EMPTY_HISTORY, T0 + 8 * DAY);
    expect(later.decisions[0]?.reason).toBe('not_eligible');
  });

  it('keeps a dismissed action away for its cooldown, counted from the dismissal feedback', () => {
    const policy = policyOf([catalogAction('offer', { cooldownAfterDismissal: '1d' })]);
    const afterSend = decide([candidate('offer')], contextOf(), policy, EMPTY_HISTORY, T0).history;
    const dismissal = {
      event: 'action_dismissed',
      messageId: 'f1',
      timestamp: at(T0 + HOUR),
      properties: { actionId: 'd-offer' },
    };
    const history = withEntries(afterSend, feedbackEntries([dismissal], policy, afterSend), T0 + HOUR);
    const next = (now: number) =>
      decide([candidate('offer', { decisionId: `n${now}` })], contextOf(), policy, history, now).decisions[0];
    expect(next(T0 + HOUR + DAY - 1)).toMatchObject({ reason: 'cooldown_after_dismissal' });
    expect(next(T0 + HOUR + DAY)).toMatchObject({ outcome: 'taken' });
  });

  it('suppresses an action after its conversion event, for its suppression period', () => {
    const policy = policyOf([
      catalogAction('upsell', { conversion: { event: 'order_completed', suppressFor: '30d' } }),
    ]);
    const order = {
      event: 'order_completed',
      messageId: 'o1',
      timestamp: new Date(T0).toISOString(),
      properties: {},
    };
    const history = withEntries(EMPTY_HISTORY, feedbackEntries([order, order], policy, EMPTY_HISTORY), T0);
    expect(history.entries).toHaveLength(1);
    expect(
      decide([candidate('upsell')], contextOf(), policy, history, T0 + 29 * DAY).decisions[0]?.reason,
    ).toBe('converted');
    expect(
      decide([candidate('upsell')], contextOf(), policy, history, T0 + 30 * DAY).decisions[0]?.outcome,
    ).toBe('taken');
  });

  it('records a consent refusal as no_consent with the consent basis', () => {
    const policy = policyOf([catalogAction('promo', { purpose: 'marketing', channel: 'email' })]);
    const decision = decide([candidate('promo')], contextOf(), policy, EMPTY_HISTORY, T0).decisions[0];
    expect(decision).toMatchObject({
      outcome: 'suppressed',
      reason: 'no_consent',
      consent: { allowed: false, purpose: 'marketing', purposeBasis: 'default_denied' },
    });
    const granted = contextOf({
      consent: {
        purposes: { marketing: { status: 'granted', at: new Date(T0 - DAY).toISOString(), source: 'web' } },
        channels: {},
      },
    });
    expect(decide([candidate('promo')], granted, policy, EMPTY_HISTORY, T0).decisions[0]).toMatchObject({
      outcome: 'taken',
      consent: { allowed: true, purposeBasis: 'granted' },
    });
  });
});
