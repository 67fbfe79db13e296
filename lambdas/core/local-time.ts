/**
 * Local time in a customer's time zone, from the IANA database Node ships (Intl): pure and
 * deterministic for a given instant and zone, DST changes included.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** A valid IANA zone name, or UTC when the customer's is missing or unknown. */
export function resolveTimeZone(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length === 0) return 'UTC';
  try {
    formatterFor(candidate);
    return candidate;
  } catch {
    return 'UTC';
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The local clock from Intl itself: exact, and a few microseconds per call. */
function formattedParts(epochMs: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

const DAY_MS = 86_400_000;
const floorToSecond = (epochMs: number) => Math.floor(epochMs / 1_000) * 1_000;

function offsetFromParts(epochMs: number, p: LocalParts): number {
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - floorToSecond(epochMs);
}

/**
 * A zone's UTC offset by UTC day, as Intl gives it at both ends of the day: equal, the offset
 * holds for the whole day (no zone changes its offset and back within a day); different, the
 * day holds a transition and is not cached (NaN), Intl answers for each instant in it. By day,
 * not by hour: a journey's waits and quiet hours look a day or two ahead, and each hour first
 * met cost two Intl calls (microseconds each).
 */
const offsetsByZone = new Map<string, Map<number, number>>();
/** Days kept per zone before its cache starts again: bounds memory in a long-lived process. */
const DAYS_KEPT = 50_000;

function cachedOffset(epochMs: number, timeZone: string): number {
  let offsets = offsetsByZone.get(timeZone);
  if (offsets === undefined) {
    offsets = new Map();
    offsetsByZone.set(timeZone, offsets);
  }
  const day = Math.floor(epochMs / DAY_MS);
  let offset = offsets.get(day);
  if (offset === undefined) {
    const start = day * DAY_MS;
    const end = start + DAY_MS - 1;
    const atStart = offsetFromParts(start, formattedParts(start, timeZone));
    const atEnd = offsetFromParts(end, formattedParts(end, timeZone));
    offset = atStart === atEnd ? atStart : Number.NaN;
    if (offsets.size >= DAYS_KEPT) offsets.clear();
    offsets.set(day, offset);
  }
  return offset;
}

/** Years whose local clock a UTC Date reads back as Intl writes it (four digits, no era). */
const FIRST_PLAIN_YEAR_MS = Date.UTC(1000, 0, 1);
const LAST_PLAIN_YEAR_MS = Date.UTC(9999, 0, 1);

/** The wall clock in `timeZone` at `epochMs`, to the second, as Intl's formatter shows it. */
export function localParts(epochMs: number, timeZone: string): LocalParts {
  const offset =
    epochMs >= FIRST_PLAIN_YEAR_MS && epochMs < LAST_PLAIN_YEAR_MS
      ? cachedOffset(epochMs, timeZone)
      : Number.NaN;
  if (Number.isNaN(offset)) return formattedParts(epochMs, timeZone);
  const local = new Date(floorToSecond(epochMs) + offset);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

function offsetMs(epochMs: number, timeZone: string): number {
  return offsetFromParts(epochMs, localParts(epochMs, timeZone));
}

/** The instant of a local wall-clock time; in a DST gap, the time just after it. */
function instantOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetMs(wall, timeZone);
  return wall - offsetMs(first, timeZone);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The first instant strictly after `afterMs` when the local clock shows `hhmm`. */
export function nextLocalTime(afterMs: number, hhmm: string, timeZone: string): number {
  const local = localParts(afterMs, timeZone);
  const target = minutesOf(hhmm);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset += 1) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + dayOffset));
    const candidate = instantOf(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      Math.floor(target / 60),
      target % 60,
      timeZone,
    );
    if (candidate > afterMs) return candidate;
  }
  throw new Error(`no ${hhmm} in ${timeZone} after ${new Date(afterMs).toISOString()}`);
}

/**
 * Moves an instant out of local quiet hours (`start` → `end`, possibly across midnight) to the
 * moment they end; an instant outside them is returned as is.
 */
export function outsideQuietHours(
  atMs: number,
  quiet: { start: string; end: string },
  timeZone: string,
): number {
  const local = localParts(atMs, timeZone);
  const now = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const inQuiet = start <= end ? now >= start && now < end : now >= start || now < end;
  return inQuiet ? nextLocalTime(atMs, quiet.end, timeZone) : atMs;
}
