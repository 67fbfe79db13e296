import type { ConsentDefaults, ConsentLedger } from '../../../schemas/consent.js';
import { parseIso } from '../iso-time.js';
import { consentAllows } from './consent-allows.js';

/**
 * May an event that arrives at `at` be kept? Only with consent to `analytics` (measuring) or to
 * `personalization` (adapting journeys to the customer): without either, the event is neither
 * stored nor run through journeys (GDPR art. 6: no basis to process it), and only a count of
 * dropped calls remains. Channels are not judged here: channel consent is about being reached.
 *
 * @example
 * if (!mayKeepEvent(state.consent, policy.defaults, Date.parse(call.timestamp))) dropCall()
 */
export function mayKeepEvent(
  ledger: ConsentLedger | undefined,
  defaults: ConsentDefaults,
  at: number,
): boolean {
  const settled = settledAnswerOf(ledger, defaults);
  if (at >= settled.from) return settled.keep;
  return judge(ledger, defaults, at);
}

const judge = (ledger: ConsentLedger | undefined, defaults: ConsentDefaults, at: number) =>
  consentAllows(ledger, defaults, { purpose: 'analytics' }, at).allowed ||
  consentAllows(ledger, defaults, { purpose: 'personalization' }, at).allowed;

/**
 * The gate's answer once every entry of the ledger is in force (`from` on), by ledger: it then
 * depends on the ledger and the defaults only, and every call judges the same ledger until a
 * consent change replaces it (ledgers are replaced, never changed). Without a ledger, by defaults.
 */
interface SettledAnswer {
  defaults: ConsentDefaults;
  from: number;
  keep: boolean;
}
const settledByLedger = new WeakMap<ConsentLedger, SettledAnswer>();
const settledByDefaults = new WeakMap<ConsentDefaults, SettledAnswer>();

function settledAnswerOf(ledger: ConsentLedger | undefined, defaults: ConsentDefaults): SettledAnswer {
  const known = ledger === undefined ? settledByDefaults.get(defaults) : settledByLedger.get(ledger);
  if (known !== undefined && known.defaults === defaults) return known;
  let from = Number.NEGATIVE_INFINITY;
  if (ledger !== undefined) {
    for (const purpose in ledger.purposes)
      from = Math.max(from, parseIso(ledger.purposes[purpose]?.at ?? ''));
    if (ledger.gpc !== undefined) from = Math.max(from, parseIso(ledger.gpc.at));
  }
  // An entry whose time does not parse never comes into force: no settled answer then.
  const settled = { defaults, from: Number.isNaN(from) ? Number.POSITIVE_INFINITY : from, keep: false };
  settled.keep = judge(ledger, defaults, Number.MAX_SAFE_INTEGER);
  if (ledger === undefined) settledByDefaults.set(defaults, settled);
  else settledByLedger.set(ledger, settled);
  return settled;
}
