import type { JsonObject } from '../../../schemas/common.js';
import type { Decision } from '../../../schemas/decision.js';
import type { ActionChannel } from '../../../schemas/journey.js';
import type { EvaluationContext } from '../conditions.js';
import type { CatalogAction, DecisionPolicy } from './policy.js';

/**
 * One action that could be sent now: a journey's action step (push), or an always-on offer
 * asked for by a placement (pull).
 */
export interface Candidate {
  /** Deterministic: the fired action's id (push) or a hash of the request and action (pull). */
  decisionId: string;
  /** The catalog action id. */
  action: string;
  source: Decision['source'];
  trigger?: Decision['trigger'];
  /** The channel the journey asks for; used as is when the action is not in the catalog. */
  channel?: ActionChannel;
  /** The journey step's payload; merged over the catalog's content. */
  payload: JsonObject;
  /** The consent purpose the journey step names, when the catalog gives none (default marketing). */
  purpose?: string;
  /** The journey's priority, when the catalog gives none. */
  priority?: number;
  /** The event that caused it (templates, eligibility and event-supplied propensity read it). */
  event?: Readonly<Record<string, unknown>>;
}

export type Factors = NonNullable<Decision['factors']>;

function numberAt(event: Readonly<Record<string, unknown>> | undefined, path: string): number | undefined {
  let current: unknown = event;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === 'number' && current >= 0 && current <= 1 ? current : undefined;
}

/** The propensity ("P"): static, the first matching rule, or the score the event carries. */
export function propensityOf(
  catalog: CatalogAction | undefined,
  candidate: Candidate,
  evaluation: EvaluationContext,
): number {
  const propensity = catalog?.propensity;
  if (propensity === undefined) return 1;
  switch (propensity.kind) {
    case 'static':
      return propensity.score;
    case 'rules':
      return catalog?.propensityRules.find((rule) => rule.when(evaluation))?.score ?? propensity.otherwise;
    case 'event':
      return numberAt(candidate.event, propensity.path) ?? propensity.otherwise;
  }
}

/**
 * Pega's arbitration formula: priority × propensity × value × context weight. A priority of 0
 * (the journeys' default) counts as 1 so that the other factors still rank; the raw priority
 * breaks ties. The context weight is the tenant's weight of the journey, else of the action, else 1.
 */
export function factorsOf(
  catalog: CatalogAction | undefined,
  candidate: Candidate,
  policy: DecisionPolicy,
  evaluation: EvaluationContext,
): Factors & { rawPriority: number } {
  const rawPriority = catalog?.priority ?? candidate.priority ?? 0;
  const priority = Math.max(rawPriority, 1);
  const propensity = propensityOf(catalog, candidate, evaluation);
  const value = catalog?.value ?? 1;
  const journeyId = candidate.source.kind === 'journey' ? candidate.source.journeyId : undefined;
  const contextWeight =
    (journeyId === undefined ? undefined : policy.weights[journeyId]) ??
    policy.weights[candidate.action] ??
    1;
  return {
    priority,
    propensity,
    value,
    contextWeight,
    score: priority * propensity * value * contextWeight,
    rawPriority,
  };
}

/**
 * The arbitration order: score, then raw priority, then value (all highest first), then action id
 * and decision id (lowest first): the same candidates always rank the same, whatever order they
 * came in.
 */
export function compareRanked(
  a: { candidate: Candidate; factors: Factors & { rawPriority: number } },
  b: { candidate: Candidate; factors: Factors & { rawPriority: number } },
): number {
  return (
    b.factors.score - a.factors.score ||
    b.factors.rawPriority - a.factors.rawPriority ||
    b.factors.value - a.factors.value ||
    byCodeUnits(a.candidate.action, b.candidate.action) ||
    byCodeUnits(a.candidate.decisionId, b.candidate.decisionId)
  );
}

/** Locale-independent string order: the same on every machine. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
