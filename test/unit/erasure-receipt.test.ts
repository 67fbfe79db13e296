import { describe, expect, it } from 'vitest';
import { linkedIdsOf } from '../../lambdas/core/privacy/linked-ids.js';
import { customerViewOf } from '../../lambdas/core/privacy/plain-words.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import type { Decision } from '../../schemas/decision.js';

const state = (extra: Partial<CustomerState>): CustomerState => ({
  tenantId: 'acme',
  customerId: 'claire',
  version: 1,
  recentMessageIds: [],
  eventCount: 1,
  firstSeenAt: '2026-11-01T00:00:00.000Z',
  lastSeenAt: '2026-11-01T00:00:00.000Z',
  journeys: {},
  ...extra,
});

describe('linkedIdsOf (what an erasure and an export reach beyond the customer)', () => {
  it('names merged ids and anonymous ids once each, never the customer or the id they merged into', () => {
    const linked = linkedIdsOf(
      state({
        mergedFrom: ['anon:dev-1', 'old-id'],
        mergedInto: 'someone-else',
        profile: { traits: {}, groups: {}, anonymousIds: ['dev-1', 'dev-2'] },
      }),
    );
    expect(linked.sort()).toEqual(['anon:dev-1', 'anon:dev-2', 'old-id']);
    expect(linkedIdsOf(undefined)).toEqual([]);
  });
});

describe('customerViewOf (decisions in plain words)', () => {
  it('keeps what, when and why, never the scores or rules', () => {
    const decision: Decision = {
      decisionId: 'd1',
      tenantId: 'acme',
      customerId: 'claire',
      decidedAt: '2026-11-01T00:00:00.000Z',
      outcome: 'suppressed',
      reason: 'no_consent',
      action: 'promo',
      channel: 'sms',
      source: { kind: 'journey', journeyId: 'j', version: 1 },
      factors: { priority: 1, propensity: 0.3, value: 10, contextWeight: 1, score: 3 },
      explanation: 'We did not text you: you have not agreed to texts.',
    };
    expect(customerViewOf(decision)).toEqual({
      decidedAt: '2026-11-01T00:00:00.000Z',
      outcome: 'suppressed',
      action: 'promo',
      channel: 'sms',
      explanation: 'We did not text you: you have not agreed to texts.',
    });
  });

  it('tells what was sent or shown instead of the rank and score a taken decision is explained with', () => {
    const taken: Decision = {
      decisionId: 'd2',
      tenantId: 'acme',
      customerId: 'claire',
      decidedAt: '2026-11-01T00:00:00.000Z',
      outcome: 'taken',
      action: 'reserve-in-store',
      channel: 'webhook',
      source: { kind: 'journey', journeyId: 'j', version: 1 },
      factors: { priority: 1, propensity: 0.3, value: 10, contextWeight: 1, score: 3 },
      explanation: '"reserve-in-store" ranked 1 of 2 (score 3) and was sent on webhook.',
    };
    expect(customerViewOf(taken).explanation).toBe(
      'We sent you "reserve-in-store" on webhook: it was what suited you best at that moment.',
    );
    const shown = customerViewOf({
      ...taken,
      channel: 'web',
      source: { kind: 'placement', placement: 'home' },
    });
    expect(shown.explanation).toBe(
      'We showed you "reserve-in-store" on web: it was what suited you best at that moment.',
    );
    expect(JSON.stringify([customerViewOf(taken), shown])).not.toMatch(/score|rank/);
  });
});
