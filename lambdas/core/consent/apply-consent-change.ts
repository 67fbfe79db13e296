import type {
  ConsentChange,
  ConsentEntry,
  ConsentHistoryEntry,
  ConsentLedger,
} from '../../../schemas/consent.js';
import { parseIso } from '../iso-time.js';

/** An empty ledger: the customer has said nothing yet. */
export const emptyLedger = (): ConsentLedger => ({ purposes: {}, channels: {} });

/** Is `candidate` at least as new as `current`? Equal times: the later arrival wins. */
function supersedes(candidate: string, current: { at: string } | undefined): boolean {
  return current === undefined || parseIso(candidate) >= parseIso(current.at);
}

function entryOf(change: ConsentChange, status: ConsentEntry['status']): ConsentEntry {
  return {
    status,
    at: change.at,
    source: change.source,
    ...(change.policyVersion === undefined ? {} : { policyVersion: change.policyVersion }),
    ...(change.proof === undefined ? {} : { proof: change.proof }),
  };
}

/**
 * Applies one consent change to the customer's ledger, newer-wins per purpose and per channel:
 * a decision older than the one the ledger holds (a late retry, an offline store terminal) is
 * kept in the history but does not overrule the newer one. A GPC signal is recorded once, with
 * its earliest time.
 *
 * @example
 * applyConsentChange(state.consent, { purposes: { marketing: 'denied' }, channels: {}, at, source: 'web' })
 */
export function applyConsentChange(ledger: ConsentLedger | undefined, change: ConsentChange): ConsentLedger {
  const next: ConsentLedger = {
    purposes: { ...ledger?.purposes },
    channels: { ...ledger?.channels },
    ...(ledger?.gpc === undefined ? {} : { gpc: ledger.gpc }),
  };
  for (const [purpose, status] of Object.entries(change.purposes)) {
    if (supersedes(change.at, next.purposes[purpose])) next.purposes[purpose] = entryOf(change, status);
  }
  for (const [channel, status] of Object.entries(change.channels) as [
    keyof ConsentLedger['channels'],
    ConsentEntry['status'],
  ][]) {
    if (supersedes(change.at, next.channels[channel])) next.channels[channel] = entryOf(change, status);
  }
  if (change.gpc === true && (next.gpc === undefined || parseIso(change.at) < parseIso(next.gpc.at))) {
    next.gpc = { at: change.at, source: change.source };
  }
  return next;
}

/** Does `joined` overrule `own`? The newer wins; at the same moment a refusal wins. */
function joinedWins(own: ConsentEntry | undefined, joined: ConsentEntry): boolean {
  if (own === undefined) return true;
  const difference = parseIso(joined.at) - parseIso(own.at);
  return difference > 0 || (difference === 0 && joined.status === 'denied' && own.status !== 'denied');
}

/**
 * The ledger of a customer an id was joined to (identity stitching): the joined id's consents
 * merge into the customer's own, newer-wins per purpose and per channel as `applyConsentChange`
 * does (at the same moment, a refusal wins); a GPC signal is kept with its earliest time.
 * Undefined when neither has said anything.
 */
export function mergeLedgers(
  own: ConsentLedger | undefined,
  joined: ConsentLedger | undefined,
): ConsentLedger | undefined {
  if (joined === undefined) return own;
  if (own === undefined) return joined;
  const next: ConsentLedger = { purposes: { ...own.purposes }, channels: { ...own.channels } };
  for (const [purpose, entry] of Object.entries(joined.purposes)) {
    if (joinedWins(next.purposes[purpose], entry)) next.purposes[purpose] = entry;
  }
  for (const [channel, entry] of Object.entries(joined.channels) as [
    keyof ConsentLedger['channels'],
    ConsentEntry,
  ][]) {
    if (joinedWins(next.channels[channel], entry)) next.channels[channel] = entry;
  }
  const gpcs = [own.gpc, joined.gpc].filter((gpc) => gpc !== undefined);
  const gpc = gpcs.sort((a, b) => parseIso(a.at) - parseIso(b.at))[0];
  return gpc === undefined ? next : { ...next, gpc };
}

/** The history item of a change: the change as received, under its id, append-only. */
export function historyEntryOf(
  change: ConsentChange,
  changeId: string,
  receivedAt: string,
): ConsentHistoryEntry {
  return { ...change, changeId, receivedAt };
}
