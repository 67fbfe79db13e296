import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY } from '../../../lambdas/core/decisioning/caps-history.js';
import { decide } from '../../../lambdas/core/decisioning/decide.js';
import { candidate, catalogAction, contextOf, policyOf, T0 } from './support.js';

describe('arbitration', () => {
  it('ranks by priority × propensity × value × context weight and sends only the best per channel', () => {
    const policy = policyOf(
      [
        catalogAction('a', { priority: 10, value: 2, propensity: { kind: 'static', score: 0.5 } }), // 10
        catalogAction('b', { priority: 5, value: 5, propensity: { kind: 'static', score: 1 } }), // 25 × 0.5 = 12.5
        catalogAction('c', { priority: 1, value: 100, propensity: { kind: 'static', score: 0.1 } }), // 10
      ],
      { arbitrationWeights: { 'j-b': 0.5 } },
    );
    const result = decide(
      [candidate('a'), candidate('b'), candidate('c')],
      contextOf(),
      policy,
      EMPTY_HISTORY,
      T0,
    );
    expect(result.taken.map((t) => t.candidate.action)).toEqual(['b']);
    const [a, b, c] = result.decisions;
    expect(b).toMatchObject({
      outcome: 'taken',
      channel: 'webhook',
      factors: { score: 12.5, contextWeight: 0.5, rank: 1 },
    });
    // a and c tie at 10: the higher raw priority wins the tie.
    expect(a).toMatchObject({
      outcome: 'suppressed',
      reason: 'lost_arbitration',
      factors: { score: 10, rank: 2 },
    });
    expect(c).toMatchObject({
      outcome: 'suppressed',
      reason: 'lost_arbitration',
      factors: { score: 10, rank: 3 },
    });
    expect(a?.explanation).toContain('"b" ranked higher');
  });

  it('breaks full ties by action id, then decision id, whatever the input order', () => {
    const policy = policyOf([catalogAction('x'), catalogAction('y')]);
    const candidates = [
      candidate('y', { decisionId: 'd2' }),
      candidate('x', { decisionId: 'd9' }),
      candidate('x', { decisionId: 'd3' }),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(candidates, { minLength: 3, maxLength: 3 }), (order) => {
        const result = decide(order, contextOf(), policy, EMPTY_HISTORY, T0);
        expect(result.taken.map((t) => t.candidate.decisionId)).toEqual(['d3']);
        const ranks = Object.fromEntries(result.decisions.map((d) => [d.decisionId, d.factors?.rank]));
        expect(ranks).toEqual({ d3: 1, d9: 2, d2: 3 });
      }),
    );
  });

  it('lets a second action through on another channel, and N per channel when configured', () => {
    const policy = policyOf([
      catalogAction('mail', { channel: 'email', priority: 3 }),
      catalogAction('sms1', { channel: 'sms', priority: 2 }),
      catalogAction('sms2', { channel: 'sms', priority: 1 }),
    ]);
    const all = [candidate('mail'), candidate('sms1'), candidate('sms2')];
    expect(decide(all, contextOf(), policy, EMPTY_HISTORY, T0).taken.map((t) => t.candidate.action)).toEqual([
      'mail',
      'sms1',
    ]);
    const two = { ...policy, actionsPerChannelPerCause: 2 };
    expect(decide(all, contextOf(), two, EMPTY_HISTORY, T0).taken).toHaveLength(3);
  });

  it('gives an action not in the catalog neutral factors, the journey priority and channel', () => {
    const policy = policyOf([]);
    const result = decide(
      [candidate('legacy', { priority: 7, channel: 'web', purpose: 'service' })],
      contextOf(),
      policy,
      EMPTY_HISTORY,
      T0,
    );
    expect(result.decisions[0]).toMatchObject({
      outcome: 'taken',
      channel: 'web',
      factors: { priority: 7, propensity: 1, value: 1, contextWeight: 1, score: 7 },
    });
  });

  it('checks the consent of an action not in the catalog too: marketing unless its step names a purpose', () => {
    const result = decide(
      [candidate('legacy', { channel: 'web' })],
      contextOf(),
      policyOf([]),
      EMPTY_HISTORY,
      T0,
    );
    expect(result.taken).toEqual([]);
    expect(result.decisions[0]).toMatchObject({
      outcome: 'suppressed',
      reason: 'no_consent',
      consent: { allowed: false, purpose: 'marketing', purposeBasis: 'default_denied' },
    });
  });

  it('takes propensity from rules over the profile, or from the score the event carries', () => {
    const policy = policyOf([
      catalogAction('rules', {
        propensity: {
          kind: 'rules',
          rules: [{ when: { path: 'traits.tier', op: 'eq', value: 'gold' }, score: 0.9 }],
          otherwise: 0.2,
        },
      }),
      catalogAction('model', {
        propensity: { kind: 'event', path: 'properties.scores.model', otherwise: 0.3 },
      }),
    ]);
    const gold = contextOf({
      profile: {
        traits: { tier: { value: 'gold', updatedAt: '2026-01-01T00:00:00Z' } },
        groups: {},
        anonymousIds: [],
      },
    });
    const event = { event: 'x', properties: { scores: { model: 0.95 } } };
    const result = decide(
      [candidate('rules', { event }), candidate('model', { event })],
      gold,
      policy,
      EMPTY_HISTORY,
      T0,
    );
    expect(result.decisions.map((d) => d.factors?.propensity)).toEqual([0.9, 0.95]);
    const plain = decide([candidate('rules'), candidate('model')], contextOf(), policy, EMPTY_HISTORY, T0);
    expect(plain.decisions.map((d) => d.factors?.propensity)).toEqual([0.2, 0.3]);
  });
});
