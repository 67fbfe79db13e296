import { describe, expect, it } from 'vitest';
import { consentPolicyOf } from '../../lambdas/core/consent/consent-policy.js';
import { applyRecordsToCustomer, compileJourneys } from '../../lambdas/core/engine.js';
import type { ConsentChange } from '../../schemas/consent.js';
import { Journey } from '../../schemas/journey.js';
import type { ConsentRecord, MergeRecord } from '../../schemas/stream-record.js';
import { identifyRecord, seq, TENANT, trackRecord } from './support/journey-records.js';

const welcome = Journey.parse({
  id: 'welcome',
  name: 'Welcome',
  status: 'published',
  version: 1,
  trigger: { event: 'Signed Up' },
  action: { id: 'say-hello' },
});
const remind = Journey.parse({
  id: 'remind',
  name: 'Remind after a day',
  status: 'published',
  version: 1,
  entry: { kind: 'event', event: 'Cart Abandoned' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', duration: '1d', next: 'send' },
    send: { type: 'action', action: { id: 'remind' } },
  },
});

const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

/** Everything granted by the tenant's defaults; Claire has entered `remind` and waits a day. */
const GRANTING = consentPolicyOf(
  { purposes: { analytics: true, personalization: true, marketing: true }, channels: {} },
  [],
);
function waitingInRemind() {
  const journeys = compileJourneys([remind], [], GRANTING);
  const entered = applyRecordsToCustomer(
    undefined,
    [{ sequenceNumber: seq(1), record: trackRecord('claire', 'Cart Abandoned', T0, 'm1') }],
    journeys,
  );
  return { journeys, entered };
}

function consentRecord(changeId: string, change: Partial<ConsentChange>, at = T1): ConsentRecord {
  return {
    kind: 'consent',
    tenantId: TENANT,
    customerId: 'claire',
    receivedAt: at,
    changeId,
    change: { purposes: {}, channels: {}, at, source: 'consent-api', ...change },
  };
}

describe('the arrival gate in the engine', () => {
  it('neither stores nor runs an event without consent (opt-in): only a count of dropped calls remains', () => {
    const optIn = compileJourneys([welcome]);
    const records = [
      identifyRecord('claire', { email: 'claire@example.com' }, T0, 'm0'),
      trackRecord('claire', 'Signed Up', T0, 'm1'),
    ];
    const outcome = applyRecordsToCustomer(
      undefined,
      records.map((record, i) => ({ sequenceNumber: seq(i), record })),
      optIn,
    );
    expect(outcome.actions).toEqual([]);
    expect(outcome.metrics).toEqual([]);
    expect(outcome.state.eventCount).toBe(0);
    expect(outcome.state.profile).toBeUndefined();
    expect(outcome.state.instances).toBeUndefined();
    expect(outcome.state.journeys).toEqual({});
    expect(outcome.state.droppedWithoutConsent).toBe(2);
  });

  it('keeps and runs an event that carries a fresh grant in context.consent.categoryPreferences', () => {
    const optIn = compileJourneys(
      [welcome],
      [],
      consentPolicyOf({ purposes: { marketing: true }, channels: {} }, []),
    );
    const record = trackRecord('claire', 'Signed Up', T0, 'm1');
    record.call.context = { consent: { categoryPreferences: { Analytics: true, Functional: false } } };
    const outcome = applyRecordsToCustomer(undefined, [{ sequenceNumber: seq(1), record }], optIn);
    expect(outcome.state.eventCount).toBe(1);
    expect(outcome.actions.map((action) => action.action)).toEqual(['say-hello']);
    expect(outcome.state.consent?.purposes).toMatchObject({
      analytics: { status: 'granted', source: 'tracking:web' },
      personalization: { status: 'denied' },
    });
    expect(outcome.consent.history).toEqual([
      expect.objectContaining({
        changeId: 'm1:consent',
        purposes: { analytics: 'granted', personalization: 'denied' },
      }),
    ]);
  });

  it('applies a consent record once: its replay adds no second history entry', () => {
    const journeys = compileJourneys([]);
    const record = consentRecord('c-1', { purposes: { analytics: 'granted' } });
    const first = applyRecordsToCustomer(undefined, [{ sequenceNumber: seq(1), record }], journeys);
    expect(first.consent.history).toHaveLength(1);
    expect(first.state.consent?.purposes.analytics?.status).toBe('granted');
    const replay = applyRecordsToCustomer(first.state, [{ sequenceNumber: seq(2), record }], journeys);
    expect(replay).toMatchObject({ applied: 0, duplicates: 1, consent: { history: [] } });
  });

  it('exits a waiting journey at once when marketing is withdrawn, cancelling its timer', () => {
    const { journeys, entered } = waitingInRemind();
    const [timer] = entered.timers.set;
    expect(timer).toBeDefined();
    const withdrawn = applyRecordsToCustomer(
      entered.state,
      [{ sequenceNumber: seq(2), record: consentRecord('c-2', { purposes: { marketing: 'denied' } }) }],
      journeys,
    );
    expect(withdrawn.state.instances).toBeUndefined();
    expect(withdrawn.timers.cancel).toEqual([timer?.timerId]);
    expect(withdrawn.metrics).toEqual([expect.objectContaining({ journeyId: 'remind', name: 'exited' })]);
    expect(withdrawn.consent.withdrawn).toBe(true);
  });

  it('exits a waiting journey at once when a merged id brings a newer refusal of what it needs', () => {
    const { journeys, entered } = waitingInRemind();
    const [timer] = entered.timers.set;
    // The device Claire used anonymously refused marketing after she entered the journey.
    const merge: MergeRecord = {
      kind: 'merge',
      tenantId: TENANT,
      customerId: 'claire',
      receivedAt: T1,
      mergeId: 'link-1:merge',
      from: 'anon:device-1',
      history: {
        eventCount: 1,
        firstSeenAt: T0,
        lastSeenAt: T1,
        journeys: {},
        consent: {
          purposes: { marketing: { status: 'denied', at: T1, source: 'tracking:web' } },
          channels: {},
        },
      },
    };
    const merged = applyRecordsToCustomer(
      entered.state,
      [{ sequenceNumber: seq(2), record: merge }],
      journeys,
    );
    expect(merged.state.consent?.purposes.marketing?.status).toBe('denied');
    expect(merged.state.instances).toBeUndefined();
    expect(merged.timers.cancel).toEqual([timer?.timerId]);
    expect(merged.metrics).toEqual([expect.objectContaining({ journeyId: 'remind', name: 'exited' })]);
    expect(merged.consent.withdrawn).toBe(true);
    // A merge whose consents withdraw nothing leaves the journey running.
    const quiet = applyRecordsToCustomer(
      entered.state,
      [{ sequenceNumber: seq(2), record: { ...merge, history: { ...merge.history, consent: undefined } } }],
      journeys,
    );
    expect(Object.keys(quiet.state.instances ?? {})).toHaveLength(1);
    expect(quiet.consent.withdrawn).toBe(false);
  });

  it('leaves a journey running when what was withdrawn is not what it needs', () => {
    const { journeys, entered } = waitingInRemind();
    const smsDenied = applyRecordsToCustomer(
      entered.state,
      [{ sequenceNumber: seq(2), record: consentRecord('c-3', { channels: { sms: 'denied' } }) }],
      journeys,
    );
    expect(Object.keys(smsDenied.state.instances ?? {})).toHaveLength(1);
    expect(smsDenied.timers.cancel).toEqual([]);
  });

  describe('asks the processor to look for actions to cancel only when something allowed is refused', () => {
    const journeys = compileJourneys([welcome], [], GRANTING);
    const wrapped = (messageId: string, at: string, context: Record<string, unknown>) => {
      const record = trackRecord('claire', 'Page Viewed', at, messageId);
      record.call.context = context;
      return record;
    };

    it('once for Segment’s consent wrapper repeating Advertising: false on every call', () => {
      const context = { consent: { categoryPreferences: { Analytics: true, Advertising: false } } };
      const first = applyRecordsToCustomer(
        undefined,
        [{ sequenceNumber: seq(1), record: wrapped('m1', T0, context) }],
        journeys,
      );
      expect(first.state.consent?.purposes.marketing?.status).toBe('denied');
      expect(first.consent.withdrawn).toBe(true);
      const repeated = applyRecordsToCustomer(
        first.state,
        [
          { sequenceNumber: seq(2), record: wrapped('m2', T1, context) },
          { sequenceNumber: seq(3), record: wrapped('m3', '2026-03-01T12:00:00.000Z', context) },
        ],
        journeys,
      );
      expect(repeated.applied).toBe(2);
      expect(repeated.consent.history).toHaveLength(2);
      expect(repeated.consent.withdrawn).toBe(false);
    });

    it('once for a GPC signal sent again and again', () => {
      const first = applyRecordsToCustomer(
        undefined,
        [{ sequenceNumber: seq(1), record: wrapped('m1', T0, { gpc: true }) }],
        journeys,
      );
      expect(first.state.consent?.gpc).toBeDefined();
      expect(first.consent.withdrawn).toBe(true);
      const again = applyRecordsToCustomer(
        first.state,
        [{ sequenceNumber: seq(2), record: wrapped('m2', T1, { gpc: true }) }],
        journeys,
      );
      expect(again.consent.withdrawn).toBe(false);
    });

    it('for a channel granted before and refused now, not for one that needed an opt-in it never had', () => {
      const granted = applyRecordsToCustomer(
        undefined,
        [{ sequenceNumber: seq(1), record: consentRecord('c-1', { channels: { email: 'granted' } }, T0) }],
        journeys,
      );
      expect(granted.consent.withdrawn).toBe(false);
      const refused = applyRecordsToCustomer(
        granted.state,
        [
          {
            sequenceNumber: seq(2),
            record: consentRecord('c-2', { channels: { email: 'denied', sms: 'denied' } }),
          },
        ],
        journeys,
      );
      expect(refused.consent.withdrawn).toBe(true);
      const smsOnly = applyRecordsToCustomer(
        undefined,
        [{ sequenceNumber: seq(1), record: consentRecord('c-3', { channels: { sms: 'denied' } }) }],
        journeys,
      );
      expect(smsOnly.consent.withdrawn).toBe(false);
    });

    it('not for a refusal older than the grant the ledger holds (newer wins)', () => {
      const granted = applyRecordsToCustomer(
        undefined,
        [{ sequenceNumber: seq(1), record: consentRecord('c-1', { purposes: { marketing: 'granted' } }) }],
        journeys,
      );
      const late = consentRecord('c-2', { purposes: { marketing: 'denied' } });
      late.change.at = T0;
      const outcome = applyRecordsToCustomer(
        granted.state,
        [{ sequenceNumber: seq(2), record: late }],
        journeys,
      );
      expect(outcome.state.consent?.purposes.marketing?.status).toBe('granted');
      expect(outcome.consent.withdrawn).toBe(false);
    });
  });
});
