/**
 * ISO 8601 instants as the engine stores them (`YYYY-MM-DDTHH:MM:SS.sssZ`, what `toISOString`
 * writes), read and written without `Date.parse` and `Date#toISOString`: a record reads a
 * dozen of them (its times, the customer's last-seen times, every journey's last entry, every
 * instance's due time), and those builtins cost a quarter of a microsecond each, this a tenth.
 */

const CANONICAL_LENGTH = 24;
const DAY_MS = 86_400_000;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Epoch milliseconds of an ISO instant: exactly what `Date.parse` gives, for any input. The
 * canonical form with a real calendar date and time is read here; everything else (offsets,
 * missing parts, `24:00`, a 30th of February, lower-case letters, garbage) goes to `Date.parse`.
 */
export function parseIso(text: string): number {
  if (text.length !== CANONICAL_LENGTH) return Date.parse(text);
  // Straight-line on purpose: it runs a dozen times per record.
  const y1 = text.charCodeAt(0) - 48;
  const y2 = text.charCodeAt(1) - 48;
  const y3 = text.charCodeAt(2) - 48;
  const y4 = text.charCodeAt(3) - 48;
  const m1 = text.charCodeAt(5) - 48;
  const m2 = text.charCodeAt(6) - 48;
  const d1 = text.charCodeAt(8) - 48;
  const d2 = text.charCodeAt(9) - 48;
  const h1 = text.charCodeAt(11) - 48;
  const h2 = text.charCodeAt(12) - 48;
  const i1 = text.charCodeAt(14) - 48;
  const i2 = text.charCodeAt(15) - 48;
  const s1 = text.charCodeAt(17) - 48;
  const s2 = text.charCodeAt(18) - 48;
  const f1 = text.charCodeAt(20) - 48;
  const f2 = text.charCodeAt(21) - 48;
  const f3 = text.charCodeAt(22) - 48;
  // Every one a digit: none below 0 (a sign bit) and none above 9 (then `+ 6` reaches 16).
  const digits = y1 | y2 | y3 | y4 | m1 | m2 | d1 | d2 | h1 | h2 | i1 | i2 | s1 | s2 | f1 | f2 | f3;
  const above9 =
    (y1 + 6) |
    (y2 + 6) |
    (y3 + 6) |
    (y4 + 6) |
    (m1 + 6) |
    (m2 + 6) |
    (d1 + 6) |
    (d2 + 6) |
    (h1 + 6) |
    (h2 + 6) |
    (i1 + 6) |
    (i2 + 6) |
    (s1 + 6) |
    (s2 + 6) |
    (f1 + 6) |
    (f2 + 6) |
    (f3 + 6);
  if (
    ((digits | above9) & ~15) !== 0 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 /* - */ ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 /* : */ ||
    text.charCodeAt(19) !== 46 /* . */ ||
    text.charCodeAt(23) !== 90 /* Z */
  )
    return Date.parse(text);
  const year = y1 * 1_000 + y2 * 100 + y3 * 10 + y4;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  const hour = h1 * 10 + h2;
  const minute = i1 * 10 + i2;
  const second = s1 * 10 + s2;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return Date.parse(text);
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1_000 +
    f1 * 100 +
    f2 * 10 +
    f3
  );
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1_000 }, (_, n) => String(n).padStart(3, '0'));
/** 0000-01-01 and 9999-12-31T23:59:59.999: the years `toISOString` writes with four digits. */
const FIRST_FOUR_DIGIT_MS = -62_167_219_200_000;
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;

/**
 * `new Date(epochMs).toISOString()`, the same string, without the Date. Outside years 0–9999
 * (six-digit years) and for invalid times (a RangeError) it defers to the builtin.
 */
export function formatIso(epochMs: number): string {
  if (!(epochMs >= FIRST_FOUR_DIGIT_MS && epochMs <= LAST_FOUR_DIGIT_MS) || !Number.isInteger(epochMs))
    return new Date(epochMs).toISOString();
  const days = Math.floor(epochMs / DAY_MS);
  let msOfDay = epochMs - days * DAY_MS;
  // civil_from_days (Hinnant), the inverse of daysFromCivil.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1_460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(msOfDay / 3_600_000);
  msOfDay -= hour * 3_600_000;
  const minute = Math.floor(msOfDay / 60_000);
  msOfDay -= minute * 60_000;
  const second = Math.floor(msOfDay / 1_000);
  const ms = msOfDay - second * 1_000;
  const centuries = Math.floor(year / 100);
  return `${TWO_DIGITS[centuries]}${TWO_DIGITS[year - centuries * 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${THREE_DIGITS[ms]}Z`;
}
