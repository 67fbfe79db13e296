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

export function localParts(epochMs: number, timeZone: string): LocalParts {
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

function offsetMs(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(epochMs / 1_000) * 1_000;
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
