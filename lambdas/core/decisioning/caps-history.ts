import {
  type CapsHistory,
  HISTORY_DAYS_KEPT,
  HISTORY_ENTRIES_KEPT,
  type HistoryEntry,
  type HistoryKind,
} from '../../../schemas/decisioning.js';
import { durationSeconds } from '../../../schemas/duration.js';
import type { ActionChannel } from '../../../schemas/journey.js';

/** A customer with no caps item yet. */
export const EMPTY_HISTORY: CapsHistory = { version: 0, entries: [] };

/**
 * Adds entries to a history: one per (`kind`, `id`), so a replayed send or feedback event is not
 * counted twice; then keeps the newest HISTORY_ENTRIES_KEPT, none older than HISTORY_DAYS_KEPT
 * before `now`. The version is left to the writer (it is the read version until written).
 */
export function withEntries(history: CapsHistory, added: readonly HistoryEntry[], now: number): CapsHistory {
  const seen = new Set(history.entries.map((entry) => `${entry.kind}\u0000${entry.id}`));
  const entries = [...history.entries];
  for (const entry of added) {
    const key = `${entry.kind}\u0000${entry.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push(entry);
  }
  const oldest = now - HISTORY_DAYS_KEPT * 86_400_000;
  const kept = entries
    .map((entry) => ({ entry, at: Date.parse(entry.at) }))
    .filter(({ at }) => at >= oldest)
    // Stable by time, then id: the same entries always make the same item.
    .sort((a, b) => a.at - b.at || (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0))
    .slice(-HISTORY_ENTRIES_KEPT)
    .map(({ entry }) => entry);
  return { version: history.version, entries: kept };
}

/**
 * The moment a push decision is taken: the event's time, but never before the newest send the
 * history holds. The decision API counts a web impression at its own clock, which may be a few
 * milliseconds after the event's timestamp; decided at the event's time, that impression would
 * fall outside the rolling windows (`at <= now`) and not count against the push caps. Sends of
 * the candidates themselves (a replay) are left out: a replay decides at the same moment.
 */
export function pushMoment(history: CapsHistory, candidateIds: ReadonlySet<string>, eventAt: number): number {
  let moment = eventAt;
  for (const entry of history.entries) {
    if (entry.kind !== 'sent' || candidateIds.has(entry.id)) continue;
    const at = Date.parse(entry.at);
    if (at > moment) moment = at;
  }
  return moment;
}

/** A send, its time parsed once: caps count these many times per decision. */
export interface Send {
  at: number;
  action: string;
  channel: ActionChannel | undefined;
}

export const sendsOf = (history: CapsHistory): Send[] =>
  history.entries
    .filter((entry) => entry.kind === 'sent')
    .map((entry) => ({ at: Date.parse(entry.at), action: entry.action, channel: entry.channel }));

/**
 * Sends counted by a rolling window `per` ending at `now`: those with `now - per < at <= now`.
 * A send exactly `per` ago has left the window.
 */
export function sendsWithin(
  sends: readonly Send[],
  per: string,
  now: number,
  match: { action?: string; channel?: ActionChannel } = {},
): number {
  const from = now - durationSeconds(per) * 1_000;
  let count = 0;
  for (const send of sends) {
    if (send.at <= from || send.at > now) continue;
    if (match.action !== undefined && send.action !== match.action) continue;
    if (match.channel !== undefined && send.channel !== match.channel) continue;
    count += 1;
  }
  return count;
}

/** The latest time (≤ now) the customer did `kind` on an action, if any. */
export function lastOf(
  history: CapsHistory,
  kind: HistoryKind,
  action: string,
  now: number,
): number | undefined {
  let last: number | undefined;
  for (const entry of history.entries) {
    if (entry.kind !== kind || entry.action !== action) continue;
    const at = Date.parse(entry.at);
    if (at <= now && (last === undefined || at > last)) last = at;
  }
  return last;
}

/** The catalog action of a fired action id, from its send entry. */
export function actionOfSend(history: CapsHistory, actionId: string): string | undefined {
  return history.entries.find((entry) => entry.kind === 'sent' && entry.id === actionId)?.action;
}
