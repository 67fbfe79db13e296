import { describe, expect, it } from 'vitest';
import { mayKeepEvent } from '../../lambdas/core/consent/arrival-gate.js';
import { consentAllows } from '../../lambdas/core/consent/consent-allows.js';
import type { ConsentDefaults, ConsentLedger } from '../../schemas/consent.js';

// The gate caches its answer per ledger once every entry is in force: whatever the instant, it
// must answer as the rule itself does.
const judge = (ledger: ConsentLedger | undefined, defaults: ConsentDefaults, at: number) =>
  consentAllows(ledger, defaults, { purpose: 'analytics' }, at).allowed ||
  consentAllows(ledger, defaults, { purpose: 'personalization' }, at).allowed;

const T1 = '2026-03-01T10:00:00.000Z';
const T2 = '2026-03-05T10:00:00.000Z';
const entry = (status: 'granted' | 'denied', at: string) => ({ status, at, source: 'web' });
const optIn: ConsentDefaults = { purposes: {}, channels: {} };
const optOut: ConsentDefaults = { purposes: { analytics: true }, channels: {} };

const ledgers: (ConsentLedger | undefined)[] = [
  undefined,
  { purposes: {}, channels: {} },
  { purposes: { analytics: entry('granted', T1) }, channels: {} },
  { purposes: { analytics: entry('granted', T1), personalization: entry('denied', T2) }, channels: {} },
  { purposes: { analytics: entry('denied', T2) }, channels: {} },
  { purposes: { analytics: entry('granted', T2) }, channels: {}, gpc: { at: T1, source: 'web' } },
  { purposes: { analytics: entry('granted', 'not a time') }, channels: {} },
];

describe('mayKeepEvent', () => {
  it('answers as consentAllows does, before, between and after the entries, asked in any order', () => {
    const instants = [
      T2,
      T1,
      '2026-02-01T00:00:00.000Z',
      '2026-03-03T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      T1,
    ].map(Date.parse);
    for (const defaults of [optIn, optOut])
      for (const ledger of ledgers)
        for (const at of [...instants, Number.NaN])
          expect([ledger, at, mayKeepEvent(ledger, defaults, at)]).toEqual([
            ledger,
            at,
            judge(ledger, defaults, at),
          ]);
  });
});
