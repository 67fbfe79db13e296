import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY, pushMoment, withEntries } from '../../../lambdas/core/decisioning/caps-history.js';
import { decide } from '../../../lambdas/core/decisioning/decide.js';
import type { HistoryEntry } from '../../../schemas/decisioning.js';
import { candidate, catalogAction, contextOf, policyOf, T0 } from './support.js';

const sentAt = (id: string, action: string, at: number): HistoryEntry => ({
  kind: 'sent',
  id,
  action,
  channel: 'web',
  at: new Date(at).toISOString(),
});

describe('the moment a push decision is taken', () => {
  // One send per hour, whatever the channel: a web impression and an email share it.
  const policy = policyOf([catalogAction('offer', { channel: 'email' })], {}, [
    { id: 'all-hour', max: 1, per: '1h' },
  ]);
  const ids = new Set(['d-offer']);

  it('is the newest send when the decision API counted an impression 5 ms after the event, which then counts against the push cap', () => {
    const history = withEntries(EMPTY_HISTORY, [sentAt('pull-1', 'banner', T0 + 5)], T0 + 5);
    const moment = pushMoment(history, ids, T0);
    expect(moment).toBe(T0 + 5);
    expect(decide([candidate('offer')], contextOf(), policy, history, moment).decisions[0]).toMatchObject({
      outcome: 'suppressed',
      reason: 'frequency_cap',
      cap: { id: 'all-hour', count: 1 },
    });
    // At the event's own time the impression lies after the window's end and would not count.
    expect(decide([candidate('offer')], contextOf(), policy, history, T0).decisions[0]?.outcome).toBe(
      'taken',
    );
  });

  it("is the event's time when every send is at or before it", () => {
    const history = withEntries(
      EMPTY_HISTORY,
      [sentAt('pull-1', 'banner', T0 - 5), sentAt('pull-2', 'banner', T0)],
      T0,
    );
    expect(pushMoment(history, ids, T0)).toBe(T0);
  });

  it("leaves out the candidates' own sends, so a replay decides at the same moment", () => {
    const history = withEntries(EMPTY_HISTORY, [sentAt('d-offer', 'offer', T0 + 50)], T0 + 50);
    expect(pushMoment(history, ids, T0)).toBe(T0);
  });
});
