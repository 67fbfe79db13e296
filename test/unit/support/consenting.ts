import { consentPolicyOf } from '../../../lambdas/core/consent/consent-policy.js';
import { compileJourneys, type PublishedJourneys } from '../../../lambdas/core/engine.js';
import type { Journey } from '../../../schemas/journey.js';

/**
 * A tenant whose defaults grant analytics, personalization and marketing: what the journey tests
 * assume, said explicitly, since the engine is opt-in by default (tests of the consent gate use
 * `compileJourneys` with no policy, or their own).
 */
export const CONSENTING_POLICY = consentPolicyOf(
  { purposes: { analytics: true, personalization: true, marketing: true }, channels: {} },
  [],
);

/** `compileJourneys` for a tenant whose customers consented by default (CONSENTING_POLICY). */
export function compileConsentingJourneys(
  current: readonly Journey[],
  olderVersions: readonly Journey[] = [],
): PublishedJourneys {
  return compileJourneys(current, olderVersions, CONSENTING_POLICY);
}
