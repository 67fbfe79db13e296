import { describe, expect, it } from 'vitest';
import { applyConsentChange } from '../../lambdas/core/consent/apply-consent-change.js';
import { mayKeepEvent } from '../../lambdas/core/consent/arrival-gate.js';
import { consentAllows } from '../../lambdas/core/consent/consent-allows.js';
import { consentPolicyOf, OPT_IN_POLICY } from '../../lambdas/core/consent/consent-policy.js';
import { consentChangeOfCall, purposeOfCategory } from '../../lambdas/core/consent/segment-consent.js';
import { usesOfJourney, withdraws } from '../../lambdas/core/consent/withdrawal.js';
import type { ConsentChange } from '../../schemas/consent.js';
import { ConsentUpdateRequest } from '../../schemas/consent.js';
import { Journey } from '../../schemas/journey.js';
import { trackRecord } from './support/journey-records.js';

const BUILT_IN = new Set(['analytics', 'personalization', 'marketing']);
const change = (
  at: string,
  purposes: ConsentChange['purposes'],
  extra: Partial<ConsentChange> = {},
): ConsentChange => ({
  purposes,
  channels: {},
  at,
  source: 'web',
  ...extra,
});

describe('Segment consent categories', () => {
  it('maps the usual category names to purposes, whatever their case and separators', () => {
    expect(purposeOfCategory('Analytics', BUILT_IN)).toBe('analytics');
    expect(purposeOfCategory('Performance', BUILT_IN)).toBe('analytics');
    expect(purposeOfCategory('Functional', BUILT_IN)).toBe('personalization');
    expect(purposeOfCategory('Advertising', BUILT_IN)).toBe('marketing');
    expect(purposeOfCategory('targeting', BUILT_IN)).toBe('marketing');
    expect(purposeOfCategory('Data Sharing', new Set([...BUILT_IN, 'sharing']))).toBe('sharing');
  });

  it('ignores categories that name no purpose of the tenant, and passes its own purposes through', () => {
    expect(purposeOfCategory('Data Sharing', BUILT_IN)).toBeUndefined();
    expect(purposeOfCategory('StrictlyNecessary', BUILT_IN)).toBeUndefined();
    expect(purposeOfCategory('Research', new Set([...BUILT_IN, 'research']))).toBe('research');
  });

  it('turns categoryPreferences into a change at the call time, a refusal winning over a grant', () => {
    const record = trackRecord('claire', 'Page Viewed', '2026-03-01T10:00:00.000Z', 'm1');
    record.call.context = {
      consent: {
        categoryPreferences: { Analytics: true, Marketing: true, Advertising: false, Unknown: true },
      },
    };
    expect(consentChangeOfCall(record.call, BUILT_IN)).toEqual({
      purposes: { analytics: 'granted', marketing: 'denied' },
      channels: {},
      at: '2026-03-01T10:00:00.000Z',
      source: 'tracking:web',
    });
  });

  it('reads a GPC signal from the context, and finds no change in a call without consent', () => {
    const record = trackRecord('claire', 'Page Viewed', '2026-03-01T10:00:00.000Z', 'm1');
    expect(consentChangeOfCall(record.call, BUILT_IN)).toBeUndefined();
    record.call.context = { gpc: true };
    expect(consentChangeOfCall(record.call, BUILT_IN)).toMatchObject({ purposes: {}, gpc: true });
  });
});

describe('applyConsentChange', () => {
  it('keeps the newer decision per purpose: a late older change does not overrule it', () => {
    const granted = applyConsentChange(undefined, change('2026-03-02T00:00:00Z', { marketing: 'granted' }));
    const late = applyConsentChange(
      granted,
      change('2026-03-01T00:00:00Z', { marketing: 'denied', analytics: 'granted' }),
    );
    expect(late.purposes.marketing?.status).toBe('granted');
    expect(late.purposes.analytics?.status).toBe('granted');
  });

  it('records source, policy version and proof with each entry, per channel too', () => {
    const ledger = applyConsentChange(
      undefined,
      change(
        '2026-03-01T00:00:00Z',
        { marketing: 'granted' },
        { channels: { email: 'granted', sms: 'denied' }, policyVersion: 'v3', proof: 'banner-42' },
      ),
    );
    expect(ledger.channels.email).toEqual({
      status: 'granted',
      at: '2026-03-01T00:00:00Z',
      source: 'web',
      policyVersion: 'v3',
      proof: 'banner-42',
    });
    expect(ledger.channels.sms?.status).toBe('denied');
  });

  it('honours GPC as an objection to marketing until a later explicit grant', () => {
    const defaults = { purposes: { marketing: true }, channels: {} };
    const gpc = applyConsentChange(undefined, change('2026-03-01T00:00:00Z', {}, { gpc: true }));
    const at = Date.parse('2026-03-05T00:00:00Z');
    expect(consentAllows(gpc, defaults, { purpose: 'marketing' }, at)).toMatchObject({
      allowed: false,
      purposeBasis: 'gpc',
    });
    const regranted = applyConsentChange(gpc, change('2026-03-02T00:00:00Z', { marketing: 'granted' }));
    expect(consentAllows(regranted, defaults, { purpose: 'marketing' }, at).allowed).toBe(true);
  });
});

describe('the arrival gate', () => {
  const at = Date.parse('2026-03-01T00:00:00Z');

  it('refuses an event when the customer said nothing and the tenant assumes nothing (opt-in)', () => {
    expect(mayKeepEvent(undefined, OPT_IN_POLICY.defaults, at)).toBe(false);
  });

  it('keeps an event with analytics or personalization, by grant or by tenant default', () => {
    const analytics = applyConsentChange(undefined, change('2026-02-01T00:00:00Z', { analytics: 'granted' }));
    expect(mayKeepEvent(analytics, OPT_IN_POLICY.defaults, at)).toBe(true);
    expect(mayKeepEvent(undefined, { purposes: { personalization: true }, channels: {} }, at)).toBe(true);
    const both = applyConsentChange(
      undefined,
      change('2026-02-01T00:00:00Z', { analytics: 'denied', personalization: 'denied' }),
    );
    expect(
      mayKeepEvent(both, { purposes: { analytics: true, personalization: true }, channels: {} }, at),
    ).toBe(false);
  });
});

describe('withdrawal', () => {
  const smsNudge = {
    id: 'sms-nudge',
    name: 'SMS nudge',
    status: 'published',
    version: 1,
    trigger: { event: 'Cart Abandoned' },
    action: { id: 'nudge', channel: 'sms' },
  };
  const journey = Journey.parse(smsNudge);
  const policy = consentPolicyOf({ purposes: { marketing: true }, channels: { sms: true } }, []);
  const at = Date.parse('2026-03-02T00:00:00Z');

  it('says a journey needs marketing on the channels of its actions unless an action names its purpose', () => {
    expect(usesOfJourney(journey)).toEqual([{ purpose: 'marketing', channel: 'sms' }]);
    const service = Journey.parse({
      ...smsNudge,
      action: { id: 'receipt', channel: 'webhook', purpose: 'personalization' },
    });
    expect(usesOfJourney(service)).toEqual([{ purpose: 'personalization', channel: undefined }]);
  });

  it('is a withdrawal only when a use allowed before is refused after', () => {
    const uses = usesOfJourney(journey);
    const deniedSms = applyConsentChange(
      undefined,
      change('2026-03-01T00:00:00Z', {}, { channels: { sms: 'denied' } }),
    );
    expect(withdraws(undefined, deniedSms, policy, uses, at)).toBe(true);
    const analytics = applyConsentChange(deniedSms, change('2026-03-01T01:00:00Z', { analytics: 'granted' }));
    expect(withdraws(deniedSms, analytics, policy, uses, at)).toBe(false);
  });
});

describe('the consent API body', () => {
  it('refuses an unknown channel, a missing source or time, and a change that says nothing', () => {
    const valid = { purposes: { marketing: 'granted' }, at: '2026-03-01T00:00:00Z', source: 'crm' };
    expect(ConsentUpdateRequest.safeParse(valid).success).toBe(true);
    const paths = (body: unknown) =>
      ConsentUpdateRequest.safeParse(body).error?.issues.map((issue) => issue.path.join('.'));
    expect(paths({ ...valid, channels: { fax: 'granted' } })).toEqual(['channels']);
    expect(paths({ ...valid, source: undefined })).toEqual(['source']);
    expect(paths({ ...valid, at: undefined })).toEqual(['at']);
    expect(paths({ ...valid, purposes: { marketing: 'maybe' } })).toEqual(['purposes.marketing']);
    expect(ConsentUpdateRequest.safeParse({ at: valid.at, source: 'crm' }).success).toBe(false);
  });
});
