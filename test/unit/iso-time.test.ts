import { describe, expect, it } from 'vitest';
import { formatIso, parseIso } from '../../lambdas/core/iso-time.js';

describe('parseIso', () => {
  it('gives what Date.parse gives, canonical or not, valid or not', () => {
    const inputs = [
      '2026-01-05T10:20:30.456Z',
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00.000Z',
      '0001-03-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      // Leap years: every 4th, not every 100th, every 400th.
      '2024-02-29T12:00:00.000Z',
      '2000-02-29T12:00:00.000Z',
      '1900-02-29T12:00:00.000Z',
      '2026-02-29T00:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      // Out of range: Date.parse decides (24:00 is midnight after, the others are invalid).
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T24:00:01.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-01T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
      // Other forms: offsets, fewer digits, lower case, a space, six-digit years, no zone.
      '2026-01-01T00:00:00.000+01:00',
      '2026-01-01T00:00:00.000-05:30',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.0Z',
      '2026-01-01T00:00:00.1234Z',
      '2026-01-01t00:00:00.000Z',
      '2026-01-01T00:00:00.000z',
      '2026-01-01 00:00:00.000Z',
      '+002026-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      '2026-01-01',
      '2026-01-01T00:00',
      // Garbage of the canonical length and shape.
      '2O26-01-01T00:00:00.000Z',
      '2026-0a-01T00:00:00.000Z',
      '2026-01-01T00:00:00.00xZ',
      '2026-01-01T0 :00:00.000Z',
      '2026/01/01T00:00:00.000Z',
      'xxxxxxxxxxxxxxxxxxxxxxxx',
      '',
      'not a date',
    ];
    for (const input of inputs) expect([input, parseIso(input)]).toEqual([input, Date.parse(input)]);
  });

  it('reads back every instant toISOString writes', () => {
    for (let ms = -62_167_219_200_000; ms < 253_402_300_800_000; ms += 7_777_777_777_777)
      expect(parseIso(new Date(ms).toISOString())).toBe(ms);
    for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2025, 0, 1); ms += 3_600_000 + 1_234)
      expect(parseIso(new Date(ms).toISOString())).toBe(ms);
  });
});

describe('formatIso', () => {
  it('writes what toISOString writes', () => {
    const instants = [
      0,
      -1,
      -0,
      1,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 2, 1),
      -62_167_219_200_000,
      253_402_300_799_999,
      // Outside years 0–9999: six digits and a sign.
      -62_167_219_200_001,
      253_402_300_800_000,
      8.64e15,
      -8.64e15,
      // Fractions are truncated as a Date does.
      1.5,
      -1.5,
    ];
    for (const ms of instants) expect([ms, formatIso(ms)]).toEqual([ms, new Date(ms).toISOString()]);
    for (let ms = -62_167_219_200_000; ms < 253_402_300_800_000; ms += 3_333_333_333_333)
      expect(formatIso(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws as toISOString does on an invalid time', () => {
    expect(() => formatIso(Number.NaN)).toThrow(RangeError);
    expect(() => formatIso(8.64e15 + 1)).toThrow(RangeError);
    expect(() => formatIso(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
