import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY } from '../../../lambdas/core/decisioning/caps-history.js';
import {
  decideForPlacement,
  type PullRequest,
  placementOffers,
  pullDecisionId,
} from '../../../lambdas/core/decisioning/pull.js';
import { ConsentLedger } from '../../../schemas/consent.js';
import type { CustomerState } from '../../../schemas/customer-state.js';
import type { CapsHistory } from '../../../schemas/decisioning.js';
import { catalogAction, DAY, HOUR, MIN, policyOf, T0 } from './support.js';

const request = (fields: Partial<PullRequest> = {}): PullRequest => ({
  tenantId: 'acme',
  customerId: 'c1',
  placement: 'home-hero',
  channel: 'web',
  requestId: 'r1',
  ...fields,
});

const policy = policyOf([
  catalogAction('gold-upsell', {
    channels: ['web', 'mobile'],
    placements: ['home-hero'],
    value: 20,
    content: { title: 'Hello {{ traits.firstName | default: "there" }}' },
    eligibility: { path: 'traits.tier', op: 'eq', value: 'gold' },
  }),
  catalogAction('newsletter', { channels: ['web'], placements: ['home-hero', 'footer'], value: 2 }),
  catalogAction('app-only', { channels: ['mobile'], placements: ['home-hero'], value: 100 }),
  catalogAction('email-only', { channels: ['email'], placements: ['home-hero'], value: 500 }),
  catalogAction('journey-only', { channels: ['web'], value: 1_000 }),
]);

const gold: Partial<CustomerState> = {
  profile: {
    traits: {
      tier: { value: 'gold', updatedAt: '2026-01-01T00:00:00Z' },
      firstName: { value: 'Claire', updatedAt: '2026-01-01T00:00:00Z' },
    },
    groups: {},
    anonymousIds: [],
  },
};

const sentAt = (id: string, action: string, at: number): CapsHistory['entries'][number] => ({
  kind: 'sent',
  id,
  action,
  channel: 'web',
  at: new Date(at).toISOString(),
});

describe('the offers of a placement', () => {
  it('are the catalog actions listing the placement whose channels include the one asked from', () => {
    expect(placementOffers(policy, 'home-hero', 'web').map((action) => action.id)).toEqual([
      'gold-upsell',
      'newsletter',
    ]);
    expect(placementOffers(policy, 'home-hero', 'mobile').map((action) => action.id)).toEqual([
      'app-only',
      'gold-upsell',
    ]);
    expect(placementOffers(policy, 'nowhere', 'web')).toEqual([]);
  });
});

describe('deciding for a placement', () => {
  it('shows the best eligible offer, rendered for the customer, and counts its impression', () => {
    const outcome = decideForPlacement(request(), gold, policy, EMPTY_HISTORY, T0);
    expect(outcome.shown?.decision).toMatchObject({
      outcome: 'taken',
      action: 'gold-upsell',
      channel: 'web',
      source: { kind: 'placement', placement: 'home-hero' },
      decisionId: pullDecisionId(request(), 'gold-upsell'),
      factors: { value: 20, score: 20, rank: 1 },
    });
    expect(outcome.shown?.content).toEqual({ title: 'Hello Claire' });
    expect(outcome.shown?.decision.explanation).toContain('shown on web');
    expect(outcome.counted).toBe(true);
    expect(outcome.history.entries).toEqual([
      sentAt(pullDecisionId(request(), 'gold-upsell'), 'gold-upsell', T0),
    ]);
    expect(outcome.decisions.map((decision) => [decision.action, decision.outcome])).toEqual([
      ['gold-upsell', 'taken'],
      ['newsletter', 'suppressed'],
    ]);
  });

  it('counts a customer never seen as live on the channel asked from, with the tenant’s consent defaults', () => {
    const outcome = decideForPlacement(request(), undefined, policy, EMPTY_HISTORY, T0);
    expect(outcome.shown?.decision.action).toBe('newsletter');
    const optIn = policyOf(
      [catalogAction('newsletter', { channels: ['web'], placements: ['home-hero'], purpose: 'marketing' })],
      {},
    );
    const refused = decideForPlacement(request(), undefined, optIn, EMPTY_HISTORY, T0);
    expect(refused).toMatchObject({ shown: undefined, reason: 'no_consent', counted: false });
    expect(refused.history).toBe(EMPTY_HISTORY);
  });

  it('never falls back to another channel of the action when the one asked from is refused', () => {
    const both = policyOf([
      catalogAction('offer', { channels: ['web', 'email'], placements: ['home-hero'] }),
    ]);
    const state: Partial<CustomerState> = {
      consent: ConsentLedger.parse({
        channels: { web: { status: 'denied', at: '2026-01-01T00:00:00Z', source: 'test' } },
      }),
    };
    const outcome = decideForPlacement(request(), state, both, EMPTY_HISTORY, T0);
    expect(outcome).toMatchObject({ shown: undefined, reason: 'no_consent' });
  });

  it('says none_for_placement when nothing is offered there on that channel', () => {
    expect(
      decideForPlacement(
        request({ placement: 'footer', channel: 'mobile' }),
        gold,
        policy,
        EMPTY_HISTORY,
        T0,
      ),
    ).toMatchObject({
      shown: undefined,
      reason: 'none_for_placement',
      decisions: [],
    });
  });

  it('gives the reason of the best-scoring offer when none can be shown', () => {
    const capped = policyOf([
      catalogAction('big', {
        channels: ['web'],
        placements: ['home-hero'],
        value: 50,
        caps: [{ max: 1, per: '1d' }],
      }),
      catalogAction('small', {
        channels: ['web'],
        placements: ['home-hero'],
        eligibility: { path: 'traits.tier', op: 'eq', value: 'platinum' },
      }),
    ]);
    const history: CapsHistory = { version: 3, entries: [sentAt('earlier', 'big', T0 - HOUR)] };
    const outcome = decideForPlacement(request(), gold, capped, history, T0);
    expect(outcome).toMatchObject({ shown: undefined, reason: 'frequency_cap', counted: false });
    expect(outcome.explanation).toContain('home-hero');
  });

  it('answers a retried request with the same decision, at its first moment, counting nothing more', () => {
    const first = decideForPlacement(request(), gold, policy, EMPTY_HISTORY, T0);
    const later: CapsHistory = { version: 1, entries: first.history.entries };
    const retry = decideForPlacement(request(), gold, policy, later, T0 + 5 * MIN);
    expect(retry.counted).toBe(false);
    expect(retry.shown?.decision).toEqual(first.shown?.decision);
    expect(retry.history.entries).toEqual(first.history.entries);
    const other = decideForPlacement(request({ requestId: 'r2' }), gold, policy, later, T0 + 5 * MIN);
    expect(other.counted).toBe(true);
    expect(other.shown?.decision.decisionId).not.toBe(first.shown?.decision.decisionId);
  });

  it('counts a send stamped after its own clock (another server a little ahead) against the cap', () => {
    const capped = policyOf([
      catalogAction('offer', { channels: ['web'], placements: ['home-hero'], caps: [{ max: 1, per: '1d' }] }),
    ]);
    const ahead: CapsHistory = { version: 1, entries: [sentAt('other-server', 'offer', T0 + 20)] };
    expect(decideForPlacement(request(), gold, capped, ahead, T0)).toMatchObject({
      shown: undefined,
      reason: 'frequency_cap',
    });
    const dayOld: CapsHistory = { version: 1, entries: [sentAt('yesterday', 'offer', T0 - DAY)] };
    expect(decideForPlacement(request(), gold, capped, dayOld, T0).shown?.decision.action).toBe('offer');
  });
});
