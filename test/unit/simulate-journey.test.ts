import { describe, expect, it } from 'vitest';
import { simulateJourney } from '../../lambdas/config-api/simulate-journey.js';
import { consentPolicyOf } from '../../lambdas/core/consent/consent-policy.js';
import { buildPolicy } from '../../lambdas/core/decisioning/policy.js';
import { ActionDefinition, TenantSettings } from '../../schemas/config-api.js';
import { Journey } from '../../schemas/journey.js';

const journey = (steps: Record<string, unknown>, start: string, extra: Record<string, unknown> = {}) =>
  Journey.parse({
    id: 'sim',
    name: 'Sim',
    status: 'published',
    entry: { kind: 'event', event: 'Cart Abandoned' },
    start,
    steps,
    ...extra,
  });

describe('simulateJourney', () => {
  it('walks a waitForEvent to its timeout, fires the timer as the sweeper would, then acts', () => {
    const result = simulateJourney(
      'acme',
      journey(
        {
          waiting: {
            type: 'waitForEvent',
            event: 'Order Completed',
            timeout: '1d',
            next: 'done',
            onTimeout: 'nudge',
          },
          nudge: { type: 'action', action: { id: 'nudge' } },
          done: { type: 'exit' },
        },
        'waiting',
      ),
      'draft',
      { events: [{ at: '2026-11-01T10:00:00.000Z', event: 'Cart Abandoned' }] },
    );
    expect(result.timers).toEqual([
      expect.objectContaining({ dueAt: '2026-11-02T10:00:00.000Z', firedAt: '2026-11-02T10:00:00.000Z' }),
    ]);
    expect(result.actions).toEqual([
      expect.objectContaining({ action: 'nudge', at: '2026-11-02T10:00:00.000Z' }),
    ]);
    expect(result.path.map((entry) => [entry.at.slice(0, 16), entry.stepId, entry.what])).toEqual(
      expect.arrayContaining([
        ['2026-11-01T10:00', 'waiting', 'waits here'],
        ['2026-11-02T10:00', 'nudge', 'fires its action'],
      ]),
    );
    expect(result.goal).toEqual({ reached: false });
  });

  it('cancels the timeout when the awaited event comes first, and reports the goal', () => {
    const result = simulateJourney(
      'acme',
      journey(
        {
          waiting: {
            type: 'waitForEvent',
            event: 'Order Completed',
            timeout: '1d',
            next: 'thanks',
            onTimeout: 'nudge',
          },
          nudge: { type: 'action', action: { id: 'nudge' } },
          thanks: { type: 'action', action: { id: 'thanks' } },
        },
        'waiting',
        { goal: { event: 'Order Completed', within: '2d' } },
      ),
      1,
      {
        events: [
          { at: '2026-11-01T10:00:00.000Z', event: 'Cart Abandoned' },
          { at: '2026-11-01T12:00:00.000Z', event: 'Order Completed' },
        ],
      },
    );
    expect(result.actions.map((action) => action.action)).toEqual(['thanks']);
    expect(result.timers).toEqual([expect.objectContaining({ cancelled: true })]);
    expect(result.goal).toEqual({ reached: true, at: '2026-11-01T12:00:00.000Z' });
    expect(result.ran).toBe(1);
  });

  it('reports an action held back by a holdout, with why', () => {
    const result = simulateJourney(
      'acme',
      journey(
        {
          hold: { type: 'holdout', percent: 100, next: 'send' },
          send: { type: 'action', action: { id: 'a' } },
        },
        'hold',
      ),
      'draft',
      { consents: { email: false }, events: [{ at: '2026-11-01T10:00:00.000Z', event: 'Cart Abandoned' }] },
    );
    expect(result.actions).toEqual([]);
    expect(result.suppressed).toEqual([
      expect.objectContaining({ stepId: 'send', reason: expect.stringContaining('holdout') }),
    ]);
    expect(result.consents).toEqual({ email: false });
  });

  it('uses the profile for conditions: traits set before the first event', () => {
    const vipOnly = journey(
      {
        check: {
          type: 'branch',
          branches: [{ condition: { path: 'traits.tier', op: 'eq', value: 'gold' }, next: 'vip' }],
          else: 'standard',
        },
        vip: { type: 'action', action: { id: 'vip' } },
        standard: { type: 'action', action: { id: 'standard' } },
      },
      'check',
    );
    const run = (tier: string) =>
      simulateJourney('acme', vipOnly, 'draft', {
        profile: { tier },
        events: [{ at: '2026-11-01T10:00:00.000Z', event: 'Cart Abandoned' }],
      }).actions.map((action) => action.action);
    expect(run('gold')).toEqual(['vip']);
    expect(run('silver')).toEqual(['standard']);
  });

  it("applies the tenant's catalog caps to the run's own sends, reporting the capped one as suppressed", () => {
    const defaults = { analytics: true, marketing: true };
    const policies = {
      consent: consentPolicyOf({ purposes: defaults, channels: {} }, []),
      decision: buildPolicy(
        [
          ActionDefinition.parse({
            id: 'a',
            name: 'A',
            revision: 1,
            updatedAt: '2026-01-01T00:00:00Z',
            updatedBy: 'test',
            caps: [{ max: 1, per: '1d' }],
          }),
        ],
        TenantSettings.parse({ consentDefaults: defaults }),
        undefined,
      ),
    };
    const result = simulateJourney(
      'acme',
      journey({ send: { type: 'action', action: { id: 'a' } } }, 'send'),
      'draft',
      {
        events: [
          { at: '2026-11-01T10:00:00.000Z', event: 'Cart Abandoned' },
          { at: '2026-11-01T11:00:00.000Z', event: 'Cart Abandoned' },
        ],
      },
      policies,
    );
    expect(result.actions).toEqual([
      expect.objectContaining({ action: 'a', at: '2026-11-01T10:00:00.000Z' }),
    ]);
    expect(result.suppressed).toEqual([
      expect.objectContaining({
        at: '2026-11-01T11:00:00.000Z',
        stepId: 'send',
        reason: expect.stringContaining('frequency_cap'),
      }),
    ]);
  });

  it('shows when an action decided in quiet hours that defer will be sent', () => {
    const defaults = { analytics: true, marketing: true };
    const policies = {
      consent: consentPolicyOf({ purposes: defaults, channels: {} }, []),
      decision: buildPolicy(
        [],
        TenantSettings.parse({
          consentDefaults: defaults,
          quietHours: { start: '21:00', end: '08:00', mode: 'defer' },
        }),
        undefined,
      ),
    };
    const result = simulateJourney(
      'acme',
      journey({ send: { type: 'action', action: { id: 'a' } } }, 'send'),
      'draft',
      { events: [{ at: '2026-11-01T23:30:00.000Z', event: 'Cart Abandoned' }] },
      policies,
    );
    // No time zone trait: UTC, so the email waits for 08:00 UTC the next morning.
    expect(result.actions).toEqual([
      expect.objectContaining({
        action: 'a',
        at: '2026-11-01T23:30:00.000Z',
        deliverAt: '2026-11-02T08:00:00.000Z',
      }),
    ]);
  });
});
