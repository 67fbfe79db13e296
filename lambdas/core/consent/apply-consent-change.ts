import type {
  ConsentChange,
  ConsentEntry,
  ConsentHistoryEntry,
  ConsentLedger,
} from '../../../schemas/consent.js';

/** An empty ledger: the customer has said nothing yet. */
export const emptyLedger = (): ConsentLedger => ({ purposes: {}, channels: {} });

/** Is `candidate` at least as new as `current`? Equal times: the later arrival wins. */
function supersedes(candidate: string, current: { at: string } | undefined): boolean {
  return current === undefined || Date.parse(candidate) >= Date.parse(current.at);
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
  if (change.gpc === true && (next.gpc === undefined || Date.parse(change.at) < Date.parse(next.gpc.at))) {
    next.gpc = { at: change.at, source: change.source };
  }
  return next;
}

/** The history item of a change: the change as received, under its id, append-only. */
export function historyEntryOf(
  change: ConsentChange,
  changeId: string,
  receivedAt: string,
): ConsentHistoryEntry {
  return { ...change, changeId, receivedAt };
}
