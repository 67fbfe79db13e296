import { BUILT_IN_PURPOSES, type ConsentDefaults } from '../../../schemas/consent.js';

/**
 * What the engine needs to know of a tenant's consent settings: what it assumes when a customer
 * has said nothing (`consentDefaultsOf(settings)`) and the purposes it knows (`purposesOf`).
 */
export interface ConsentPolicy {
  defaults: ConsentDefaults;
  purposes: ReadonlySet<string>;
}

/**
 * Opt-in: nothing is assumed, only the built-in purposes are known. What the engine applies when
 * no tenant policy is given; production always passes the tenant's own.
 */
export const OPT_IN_POLICY: ConsentPolicy = {
  defaults: { purposes: {}, channels: {} },
  purposes: new Set(BUILT_IN_PURPOSES),
};

/** A tenant's policy from its defaults and purposes. */
export function consentPolicyOf(defaults: ConsentDefaults, purposes: Iterable<string>): ConsentPolicy {
  return { defaults, purposes: new Set([...BUILT_IN_PURPOSES, ...purposes]) };
}
