import type { Condition } from '../../../schemas/condition.js';
import type { ActionDefinition, GlobalCaps, TenantSettings } from '../../../schemas/config-api.js';
import { consentDefaultsOf } from '../../../schemas/config-api.js';
import type { ConsentDefaults } from '../../../schemas/consent.js';
import type { ActionCap, Propensity } from '../../../schemas/decisioning.js';
import type { ActionChannel } from '../../../schemas/journey.js';
import { compileCondition, type Predicate } from '../conditions.js';
import { CounterRegistry } from '../counters.js';
import { DEFAULT_PRESENCE, type Presence } from './channel-choice.js';

/** A catalog action ready to decide with: its condition and propensity rules compiled once. */
export interface CatalogAction {
  id: string;
  channels: ActionChannel[] | undefined;
  content: Record<string, unknown> | undefined;
  eligible: Predicate | undefined;
  value: number;
  priority: number | undefined;
  propensity: Propensity | undefined;
  propensityRules: { when: Predicate; score: number }[];
  validFrom: number | undefined;
  validUntil: number | undefined;
  caps: ActionCap[];
  cooldownAfterDismissal: string | undefined;
  conversion: { event: string; suppressFor: string } | undefined;
  purpose: string;
  /** Placements where it is an always-on offer (pull); empty: journeys only. */
  placements: readonly string[];
}

/** A global or per-channel cap of the tenant. */
export interface TenantCap {
  id: string;
  channel: ActionChannel | 'all';
  max: number;
  per: string;
}

/** Everything a tenant configured that decisions follow. Pure data, built once per config load. */
export interface DecisionPolicy {
  catalog: ReadonlyMap<string, CatalogAction>;
  /** Context weights by journey id or action id. */
  weights: Readonly<Record<string, number>>;
  quietHours: { start: string; end: string; mode: 'suppress' | 'defer' } | undefined;
  caps: readonly TenantCap[];
  consentDefaults: ConsentDefaults;
  presence: Presence;
  actionsPerChannelPerCause: number;
  /** Days decisions are kept (the tenant's retention). */
  retentionDays: number;
  /** Catalog action ids by their conversion event's name (feedback). */
  conversionsByEvent: ReadonlyMap<string, string[]>;
  /** The counters the catalog's conditions read (the engine keeps them: `countedConditions`). */
  counters: CounterRegistry;
  /**
   * The catalog's conditions that count behaviour (eligibility, propensity rules): compiled with
   * the journeys (`compileJourneys`), so that the engine keeps their counters in the state.
   */
  countedConditions: readonly Condition[];
}

/** Whether a condition counts behaviour anywhere in its tree. */
function counts(condition: Condition): boolean {
  if ('all' in condition) return condition.all.some(counts);
  if ('any' in condition) return condition.any.some(counts);
  if ('not' in condition) return counts(condition.not);
  return 'count' in condition;
}

/**
 * Compiles a tenant's catalog, settings and caps into a policy. Behaviour counts in its
 * conditions read the customer's counters, which the engine keeps once the journeys are compiled
 * with `countedConditions` (counting starts then, as for a journey's condition).
 */
export function buildPolicy(
  catalog: readonly ActionDefinition[],
  settings: TenantSettings | undefined,
  globalCaps: GlobalCaps | undefined,
): DecisionPolicy {
  const counters = new CounterRegistry();
  const actions = new Map<string, CatalogAction>();
  const conversionsByEvent = new Map<string, string[]>();
  const countedConditions: Condition[] = [];
  for (const definition of catalog) {
    const rules = definition.propensity?.kind === 'rules' ? definition.propensity.rules : [];
    for (const condition of [definition.eligibility, ...rules.map((rule) => rule.when)])
      if (condition !== undefined && counts(condition)) countedConditions.push(condition);
    actions.set(definition.id, {
      id: definition.id,
      channels: definition.channels ?? [definition.channel],
      content: definition.content,
      eligible:
        definition.eligibility === undefined ? undefined : compileCondition(definition.eligibility, counters),
      value: definition.value ?? 1,
      priority: definition.priority,
      propensity: definition.propensity,
      propensityRules: rules.map((rule) => ({
        when: compileCondition(rule.when, counters),
        score: rule.score,
      })),
      validFrom: definition.validFrom === undefined ? undefined : Date.parse(definition.validFrom),
      validUntil: definition.validUntil === undefined ? undefined : Date.parse(definition.validUntil),
      caps: definition.caps ?? [],
      cooldownAfterDismissal: definition.cooldownAfterDismissal,
      conversion: definition.conversion,
      purpose: definition.purpose ?? 'marketing',
      placements: definition.placements ?? [],
    });
    if (definition.conversion !== undefined) {
      const event = definition.conversion.event;
      conversionsByEvent.set(event, [...(conversionsByEvent.get(event) ?? []), definition.id]);
    }
  }
  return {
    catalog: actions,
    weights: settings?.arbitrationWeights ?? {},
    quietHours: settings?.quietHours,
    caps: globalCaps?.caps ?? [],
    consentDefaults: consentDefaultsOf(settings),
    presence: settings?.presence ?? DEFAULT_PRESENCE,
    actionsPerChannelPerCause: settings?.actionsPerChannelPerCause ?? 1,
    retentionDays: settings?.retentionDays ?? 395,
    conversionsByEvent,
    counters,
    countedConditions,
  };
}

/** A tenant with nothing configured: every journey action passes with neutral factors. */
export const EMPTY_POLICY: DecisionPolicy = buildPolicy([], undefined, undefined);
