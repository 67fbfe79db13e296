import { describe, expect, it } from 'vitest';
import { StateDraft } from '../../lambdas/core/state-draft.js';
import type { CustomerState } from '../../schemas/customer-state.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const AT = '2026-03-02T10:00:00.000Z';
const instance = { journeyId: 'j', version: 1, stepId: 's', enteredAt: AT };
const stored = (): CustomerState =>
  deepFreeze({
    tenantId: 'acme',
    customerId: 'c',
    version: 3,
    recentMessageIds: ['m'],
    eventCount: 1,
    firstSeenAt: AT,
    lastSeenAt: AT,
    journeys: { j: { entries: 1, lastEnteredAt: AT } },
    instances: { 'j:1': instance },
  });

describe('StateDraft', () => {
  it('gives back the state as it was, without the fields it does not have', () => {
    const result = new StateDraft(stored()).result();
    expect(result).toStrictEqual(stored());
    expect(Object.keys(result)).not.toContain('profile');
  });

  it('copies a map the first time it changes, then changes the copy, never the stored one', () => {
    const before = stored();
    const draft = new StateDraft(before);
    draft.journeys().k = { entries: 1, lastEnteredAt: AT };
    const journeys = draft.journeys();
    journeys.l = { entries: 2, lastEnteredAt: AT };
    expect(draft.journeys()).toBe(journeys);
    draft.instances()['j:2'] = instance;
    expect(Object.keys(draft.result().journeys)).toEqual(['j', 'k', 'l']);
    expect(Object.keys(draft.result().instances ?? {})).toEqual(['j:1', 'j:2']);
    expect(before).toStrictEqual(stored());
  });

  it('drops the instances map with its last instance', () => {
    const draft = new StateDraft(stored());
    draft.removeInstance('j:1');
    expect(draft.result()).not.toHaveProperty('instances');
    draft.instances()['j:3'] = instance;
    expect(draft.result().instances).toEqual({ 'j:3': instance });
  });

  it('keeps a snapshot as it was while the draft goes on', () => {
    const draft = new StateDraft(stored());
    draft.journeys().k = { entries: 1, lastEnteredAt: AT };
    const snapshot = draft.snapshot();
    draft.journeys().l = { entries: 1, lastEnteredAt: AT };
    draft.state.eventCount = 9;
    expect(Object.keys(snapshot.journeys)).toEqual(['j', 'k']);
    expect(snapshot.eventCount).toBe(1);
  });

  it('takes a state built by a pure function, and copies its maps before changing them', () => {
    const draft = new StateDraft(stored());
    draft.journeys();
    const next = deepFreeze({ ...stored(), consent: { purposes: {}, channels: {} } });
    draft.replace(next);
    draft.journeys().k = { entries: 1, lastEnteredAt: AT };
    expect(draft.result().consent).toEqual({ purposes: {}, channels: {} });
    expect(Object.keys(draft.result().journeys)).toEqual(['j', 'k']);
  });

  it('keeps fields it does not know, written by a newer version', () => {
    const withExtra = { ...stored(), loyaltyTier: 'gold' } as CustomerState;
    const draft = new StateDraft(withExtra);
    draft.state.eventCount += 1;
    expect(draft.result()).toMatchObject({ loyaltyTier: 'gold', eventCount: 2 });
  });
});
