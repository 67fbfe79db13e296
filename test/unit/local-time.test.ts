import { describe, expect, it } from 'vitest';
import { localParts, nextLocalTime, outsideQuietHours } from '../../lambdas/core/local-time.js';

/** The local clock straight from Intl, as the engine read it before offsets were cached. */
function intlParts(epochMs: number, timeZone: string) {
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(epochMs)))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// Each zone around its offset changes: whole-hour DST (Paris, New York), a half-hour zone
// without DST (Kolkata), a half-hour DST shift at a half-hour offset (Lord Howe), a 45-minute
// offset (Kathmandu), and a zone that skipped a whole day (Apia, end of 2011).
const cases: [string, string][] = [
  ['Europe/Paris', '2026-03-29T00:00:00Z'],
  ['Europe/Paris', '2026-10-25T00:00:00Z'],
  ['America/New_York', '2026-03-08T05:00:00Z'],
  ['America/New_York', '2026-11-01T04:00:00Z'],
  ['Asia/Kolkata', '2026-03-29T00:00:00Z'],
  ['Australia/Lord_Howe', '2026-04-04T13:00:00Z'],
  ['Australia/Lord_Howe', '2026-10-03T14:00:00Z'],
  ['Asia/Kathmandu', '2026-01-01T00:00:00Z'],
  ['Pacific/Apia', '2011-12-29T09:00:00Z'],
  ['UTC', '2026-01-01T00:00:00Z'],
];

describe('localParts', () => {
  it.each(cases)(
    'reads the clock in %s as Intl does around %s, every 7 minutes and 13 seconds',
    (zone, from) => {
      const start = Date.parse(from);
      for (let at = start; at < start + 6 * HOUR; at += 7 * MINUTE + 13_000) {
        // Twice: computed, then from the cache.
        expect(localParts(at, zone)).toEqual(intlParts(at, zone));
        expect(localParts(at, zone)).toEqual(intlParts(at, zone));
      }
    },
  );

  it('reads the clock as Intl does at the edges of a transition, to the millisecond', () => {
    // Paris springs forward at 01:00 UTC, New York falls back at 06:00 UTC.
    for (const [zone, transition] of [
      ['Europe/Paris', Date.parse('2026-03-29T01:00:00Z')],
      ['America/New_York', Date.parse('2026-11-01T06:00:00Z')],
    ] as const) {
      for (const at of [transition - 1_001, transition - 1, transition, transition + 1, transition + 999])
        expect(localParts(at, zone)).toEqual(intlParts(at, zone));
    }
  });

  it('reads far-off years as Intl does', () => {
    for (const at of [Date.UTC(1900, 0, 1), Date.UTC(1883, 10, 18, 17), Date.UTC(9999, 5, 1), -1, 0])
      expect(localParts(at, 'America/New_York')).toEqual(intlParts(at, 'America/New_York'));
  });
});

// Answers the engine gave when it asked Intl for every instant: the cache must not change one.
describe('nextLocalTime and outsideQuietHours across DST', () => {
  const iso = (epochMs: number) => new Date(epochMs).toISOString();

  it('finds 09:00 local on the days the clocks change', () => {
    expect(iso(nextLocalTime(Date.parse('2026-03-28T12:00:00Z'), '09:00', 'Europe/Paris'))).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    expect(iso(nextLocalTime(Date.parse('2026-10-31T14:00:00Z'), '09:00', 'America/New_York'))).toBe(
      '2026-11-01T14:00:00.000Z',
    );
    expect(iso(nextLocalTime(Date.parse('2026-10-03T12:00:00Z'), '09:00', 'Australia/Lord_Howe'))).toBe(
      '2026-10-03T22:00:00.000Z',
    );
  });

  it('moves a time inside quiet hours to their end (in a DST gap, the time after it)', () => {
    // 02:30 does not exist in Paris on 29 March 2026: the clock goes from 02:00 to 03:00.
    expect(
      iso(
        outsideQuietHours(
          Date.parse('2026-03-29T00:15:00Z'),
          { start: '01:00', end: '02:30' },
          'Europe/Paris',
        ),
      ),
    ).toBe('2026-03-29T01:30:00.000Z');
    expect(
      iso(
        outsideQuietHours(
          Date.parse('2026-03-29T23:00:00Z'),
          { start: '21:00', end: '08:00' },
          'Asia/Kolkata',
        ),
      ),
    ).toBe('2026-03-30T02:30:00.000Z');
    // 01:00–01:30 happens twice in New York on 1 November 2026; 05:30Z is the first 01:30, outside.
    expect(
      iso(
        outsideQuietHours(
          Date.parse('2026-11-01T05:30:00Z'),
          { start: '01:00', end: '01:30' },
          'America/New_York',
        ),
      ),
    ).toBe('2026-11-01T05:30:00.000Z');
  });
});
