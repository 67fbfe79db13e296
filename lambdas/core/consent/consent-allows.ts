import type {
  ConsentBasis,
  ConsentChannel,
  ConsentDefaults,
  ConsentLedger,
  Purpose,
} from '../../../schemas/consent.js';
import { parseIso } from '../iso-time.js';

/** Purposes a Global Privacy Control signal objects to (marketing and sharing). */
const OBJECTED_BY_GPC: ReadonlySet<string> = new Set(['marketing', 'sharing']);

type Basis = 'granted' | 'denied' | 'default_granted' | 'default_denied';

function basisOf(
  entry: { status: string; at: string } | undefined,
  fallback: boolean | undefined,
  at: number,
) {
  // An entry newer than the moment judged did not exist yet then: the default applied.
  if (entry !== undefined && parseIso(entry.at) <= at)
    return { basis: entry.status as Basis, since: entry.at };
  return { basis: (fallback === true ? 'default_granted' : 'default_denied') as Basis, since: undefined };
}

/**
 * Does the customer's consent allow using their data for `purpose` (and reaching them on
 * `channel`, when given) at the instant `at`? Opt-in: without an entry or a tenant default
 * saying yes, the answer is no. A GPC signal refuses marketing until a later explicit grant.
 *
 * @example
 * consentAllows(state.consent, defaults, { purpose: 'marketing', channel: 'email' }, Date.parse(now)).allowed
 */
export function consentAllows(
  ledger: ConsentLedger | undefined,
  defaults: ConsentDefaults | undefined,
  use: { purpose: Purpose; channel?: ConsentChannel | undefined },
  at: number,
): ConsentBasis {
  const purposeEntry = ledger?.purposes[use.purpose];
  const purpose = basisOf(purposeEntry, defaults?.purposes[use.purpose], at);
  let purposeBasis: ConsentBasis['purposeBasis'] = purpose.basis;
  const gpc = ledger?.gpc;
  if (gpc !== undefined && parseIso(gpc.at) <= at && OBJECTED_BY_GPC.has(use.purpose)) {
    const grantedAfterGpc =
      purpose.basis === 'granted' &&
      purpose.since !== undefined &&
      parseIso(purpose.since) > parseIso(gpc.at);
    if (!grantedAfterGpc) purposeBasis = 'gpc';
  }
  const channel =
    use.channel === undefined
      ? undefined
      : basisOf(ledger?.channels[use.channel], defaults?.channels[use.channel], at);
  const purposeOk = purposeBasis === 'granted' || purposeBasis === 'default_granted';
  const channelOk =
    channel === undefined || channel.basis === 'granted' || channel.basis === 'default_granted';
  const since = purpose.since ?? channel?.since;
  return {
    allowed: purposeOk && channelOk,
    purpose: use.purpose,
    ...(use.channel === undefined ? {} : { channel: use.channel }),
    purposeBasis,
    channelBasis: channel?.basis ?? 'not_applicable',
    ...(since === undefined ? {} : { since }),
  };
}
