import type { ConsentDefaults, ConsentLedger } from '../../../schemas/consent.js';
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
  return (
    consentAllows(ledger, defaults, { purpose: 'analytics' }, at).allowed ||
    consentAllows(ledger, defaults, { purpose: 'personalization' }, at).allowed
  );
}
