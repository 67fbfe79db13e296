import type { Action } from '../../schemas/action.js';
import { consentChannelOf } from '../../schemas/consent.js';
import { loadConsentPolicy } from '../adapters/config-store.js';
import { loadCustomerState } from '../adapters/customer-store.js';
import { consentAllows } from '../core/consent/consent-allows.js';
import { DEFAULT_ACTION_PURPOSE } from '../core/consent/withdrawal.js';

/**
 * The send gate: does the customer's consent, as stored now, still allow this action's purpose
 * (absent: marketing) on its channel? Read from the state (strongly consistent), with the
 * tenant's defaults for what the customer never said.
 */
export async function consentStillAllows(action: Action, now: Date): Promise<boolean> {
  const [state, policy] = await Promise.all([
    loadCustomerState(action.tenantId, action.customerId),
    loadConsentPolicy(action.tenantId),
  ]);
  const use = {
    purpose: action.purpose ?? DEFAULT_ACTION_PURPOSE,
    channel: consentChannelOf(action.channel),
  };
  return consentAllows(state?.consent, policy.defaults, use, now.getTime()).allowed;
}
