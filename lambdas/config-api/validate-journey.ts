import { durationSeconds } from '../../schemas/duration.js';
import { Journey, type Step } from '../../schemas/journey.js';
import type { FieldProblem } from '../core/errors.js';
import { HOLDOUT_ARM } from '../core/split.js';
import { schemaProblems } from './schema-problems.js';

/** What a journey is checked against besides itself. */
export interface ValidationContext {
  /** Channels whose actions have a webhook: their own, or the `webhook` channel's as fallback. */
  configuredChannels: ReadonlySet<string>;
  /** The tenant's action catalog; undefined or empty: no catalog yet, any action id goes. */
  actionCatalog?: ReadonlySet<string>;
  /** Shortest wait or timeout allowed: 60 s in production (see README, Config API). */
  minWaitSeconds: number;
}

export type ValidationResult = { ok: true; journey: Journey } | { ok: false; errors: FieldProblem[] };

/** One edge of the step graph, with the JSON path where it is written. */
interface StepReference {
  from: string | undefined;
  to: string;
  path: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The steps each step leads to, with the path of each reference. */
export function referencesOf(stepId: string, step: Step): StepReference[] {
  const at = (suffix: string, to: string | undefined): StepReference[] =>
    to === undefined ? [] : [{ from: stepId, to, path: `steps.${stepId}.${suffix}` }];
  switch (step.type) {
    case 'action':
    case 'wait':
    case 'holdout':
      return at('next', step.next);
    case 'waitForEvent':
      return [...at('next', step.next), ...at('onTimeout', step.onTimeout)];
    case 'branch':
      return [
        ...step.branches.flatMap((branch, index) => at(`branches.${index}.next`, branch.next)),
        ...at('else', step.else),
      ];
    case 'split':
      return step.variants.flatMap((variant, index) => at(`variants.${index}.next`, variant.next));
    case 'exit':
      return [];
  }
}

/** A wait stops a walk until a timer or an event: a loop through one is not an infinite loop. */
const pausesTheWalk = (step: Step) => step.type === 'wait' || step.type === 'waitForEvent';

/**
 * Checks a draft before it is published and says, for each mistake, where it is and what to do
 * in plain words: the schema (types, operators, formats), then the step graph (unknown
 * references, unreachable steps, loops without a wait), splits that do not sum to 100, waits
 * shorter than allowed, and actions on channels with nothing to deliver to. Pure: the caller
 * supplies the tenant's channels.
 *
 * @example
 * const result = validateJourney(draft, { configuredChannels: new Set(['webhook']), minWaitSeconds: 60 });
 * if (!result.ok) throw new InvalidInputError('invalid_journey', '…', result.errors, 422);
 */
export function validateJourney(
  draft: unknown,
  context: ValidationContext,
  lifecycle: { id: string; version: number } = { id: 'draft', version: 1 },
): ValidationResult {
  if (!isObject(draft))
    return {
      ok: false,
      errors: [{ code: 'wrong_type', path: '', message: 'The journey must be a JSON object.' }],
    };
  const candidate = { ...draft, id: lifecycle.id, status: 'published', version: lifecycle.version };
  const parsed = Journey.safeParse(candidate);
  if (!parsed.success) return { ok: false, errors: schemaProblems(parsed.error.issues, candidate) };
  const journey = parsed.data;
  // The simple form becomes one step named "fire": point at its own fields, not at the step.
  const simpleForm = !('steps' in draft);
  const toDraftPath = (path: string) => (simpleForm ? path.replace(/^steps\.fire\./, '') : path);
  const errors = [
    ...graphProblems(journey),
    ...stepProblems(journey, context),
    ...unstorableNumbers(draft, []),
  ].map((problem) => ({
    ...problem,
    path: toDraftPath(problem.path ?? ''),
  }));
  return errors.length === 0 ? { ok: true, journey } : { ok: false, errors };
}

function graphProblems(journey: Journey): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const steps = new Map(Object.entries(journey.steps));
  if (!steps.has(journey.start)) {
    problems.push({
      code: 'unknown_step',
      path: 'start',
      message: `The journey starts at "${journey.start}", but there is no step with that name.`,
    });
  }
  for (const [stepId, step] of steps) {
    for (const reference of referencesOf(stepId, step)) {
      if (!steps.has(reference.to))
        problems.push({
          code: 'unknown_step',
          path: reference.path,
          message: `Step "${stepId}" leads to "${reference.to}", but there is no step with that name.`,
        });
    }
  }
  const reached = new Set<string>();
  const queue = steps.has(journey.start) ? [journey.start] : [];
  while (queue.length > 0) {
    const stepId = queue.shift() as string;
    if (reached.has(stepId)) continue;
    reached.add(stepId);
    const step = steps.get(stepId);
    if (step !== undefined)
      for (const { to } of referencesOf(stepId, step)) if (steps.has(to)) queue.push(to);
  }
  if (steps.has(journey.start)) {
    for (const stepId of steps.keys()) {
      if (!reached.has(stepId))
        problems.push({
          code: 'unreachable_step',
          path: `steps.${stepId}`,
          message: `No path from the start ("${journey.start}") leads to step "${stepId}": customers never get there.`,
        });
    }
  }
  const cycle = cycleWithoutWait(steps);
  if (cycle !== undefined) {
    problems.push({
      code: 'cycle_without_wait',
      path: `steps.${cycle[0]}`,
      message: `Steps ${cycle.map((id) => `"${id}"`).join(' → ')} loop back without a wait: a customer would go round forever. Put a wait in the loop or end it.`,
    });
  }
  return problems;
}

/** A loop in the graph that no wait breaks, as the list of its steps (first repeated at the end). */
function cycleWithoutWait(steps: ReadonlyMap<string, Step>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (stepId: string): string[] | undefined => {
    const step = steps.get(stepId);
    if (step === undefined || pausesTheWalk(step)) return undefined;
    if (state.get(stepId) === 'done') return undefined;
    if (state.get(stepId) === 'visiting') return [...trail.slice(trail.indexOf(stepId)), stepId];
    state.set(stepId, 'visiting');
    trail.push(stepId);
    for (const { to } of referencesOf(stepId, step)) {
      const found = visit(to);
      if (found !== undefined) return found;
    }
    trail.pop();
    state.set(stepId, 'done');
    return undefined;
  };
  for (const stepId of steps.keys()) {
    const found = visit(stepId);
    if (found !== undefined) return found;
  }
  return undefined;
}

function stepProblems(journey: Journey, context: ValidationContext): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const minimum = context.minWaitSeconds;
  const tooShort = (path: string, what: string, duration: string) =>
    problems.push({
      code: 'wait_too_short',
      path,
      message: `${what} of ${duration} is shorter than the shortest allowed (${minimum} seconds).`,
    });
  for (const [stepId, step] of Object.entries(journey.steps)) {
    const at = `steps.${stepId}`;
    if (step.type === 'split') {
      const total = step.variants.reduce((sum, variant) => sum + variant.percent, 0);
      if (Math.abs(total - 100) > 1e-9)
        problems.push({
          code: 'split_not_100',
          path: `${at}.variants`,
          message: `The variants of split "${stepId}" add up to ${total}%, not 100%.`,
        });
      // Reports tell arms apart by name: two variants of one name, or one named like the
      // holdout group, would be counted together.
      const seen = new Set<string>();
      step.variants.forEach((variant, index) => {
        const path = `${at}.variants.${index}.name`;
        if (variant.name === HOLDOUT_ARM)
          problems.push({
            code: 'variant_name_reserved',
            path,
            message: `"${HOLDOUT_ARM}" names the holdout group in reports: give this variant another name.`,
          });
        else if (seen.has(variant.name))
          problems.push({
            code: 'variant_name_repeated',
            path,
            message: `Split "${stepId}" has two variants named "${variant.name}": each needs its own name.`,
          });
        seen.add(variant.name);
      });
    }
    if (step.type === 'wait') {
      if (step.duration === undefined && step.untilTimeOfDay === undefined)
        problems.push({
          code: 'wait_without_end',
          path: at,
          message: `Wait "${stepId}" needs a duration (like 2h) or a time of day (like 09:30).`,
        });
      if (step.duration !== undefined && durationSeconds(step.duration) < minimum)
        tooShort(`${at}.duration`, `Wait "${stepId}"`, step.duration);
    }
    if (step.type === 'waitForEvent' && durationSeconds(step.timeout) < minimum)
      tooShort(`${at}.timeout`, `The timeout of "${stepId}"`, step.timeout);
    const catalog = context.actionCatalog;
    if (step.type === 'action' && catalog !== undefined && catalog.size > 0 && !catalog.has(step.action.id))
      problems.push({
        code: 'unknown_action',
        path: `${at}.action.id`,
        message: `Action "${step.action.id}" is not in the action catalog: add it there first, or pick one of ${[
          ...catalog,
        ]
          .slice(0, 10)
          .map((id) => `"${id}"`)
          .join(', ')}.`,
      });
    if (step.type === 'action' && !context.configuredChannels.has(step.action.channel))
      problems.push({
        code: 'channel_not_configured',
        path: `${at}.action.channel`,
        message: `Action "${step.action.id}" goes to the ${step.action.channel} channel, which has no webhook configured yet (nor has the webhook channel, its fallback).`,
      });
  }
  return problems;
}

/**
 * DynamoDB numbers span ±1e-130 to ±1e126: a published journey (stored as a map the processor
 * reads) with a number beyond them could not be written, so it is refused here, at its path.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
 */
function unstorableNumbers(value: unknown, path: string[]): FieldProblem[] {
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    return magnitude !== 0 && (magnitude < 1e-130 || magnitude >= 1e126)
      ? [
          {
            code: 'number_out_of_range',
            path: path.join('.'),
            message: `${value} is too large or too small to store.`,
          },
        ]
      : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => unstorableNumbers(inner, [...path, key]));
}
