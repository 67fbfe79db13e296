import type { Candidate, DecisionContext } from '../../../lambdas/core/decisioning/decide.js';
import { buildPolicy } from '../../../lambdas/core/decisioning/policy.js';
import { ActionDefinition, GlobalCaps, TenantSettings } from '../../../schemas/config-api.js';
import type { CustomerState } from '../../../schemas/customer-state.js';

/** Catalog entries, settings and candidates for decisioning tests. */

export const T0 = Date.parse('2026-03-10T12:00:00Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export function catalogAction(id: string, fields: Record<string, unknown> = {}): ActionDefinition {
  return ActionDefinition.parse({
    id,
    name: id,
    revision: 1,
    updatedAt: '2026-01-01T00:00:00Z',
    updatedBy: 'test',
    purpose: 'service',
    ...fields,
  });
}

/** Consent granted for the `service` purpose and every channel, unless a test says otherwise. */
export function policyOf(
  actions: ActionDefinition[],
  settings: Record<string, unknown> = {},
  caps: unknown[] = [],
) {
  return buildPolicy(
    actions,
    TenantSettings.parse({
      consentDefaults: { service: true },
      channelConsentDefaults: { email: true, sms: true, push: true },
      ...settings,
    }),
    GlobalCaps.parse({ caps }),
  );
}

export function candidate(action: string, fields: Partial<Candidate> = {}): Candidate {
  return {
    decisionId: `d-${action}`,
    action,
    source: { kind: 'journey', journeyId: `j-${action}`, version: 1 },
    trigger: { event: 'cart_abandoned', messageId: 'm1' },
    payload: {},
    ...fields,
  };
}

export function contextOf(state: Partial<CustomerState> = {}): DecisionContext {
  return { tenantId: 'acme', customerId: 'c1', state };
}

export const timezone = (zone: string): Partial<CustomerState> => ({
  profile: {
    traits: { timezone: { value: zone, updatedAt: '2026-01-01T00:00:00Z' } },
    groups: {},
    anonymousIds: [],
  },
});
