import * as z from 'zod';
import { JsonObject, Slug } from './common.js';
import { Comparison, Condition } from './condition.js';
import { Duration } from './duration.js';

/** The comparisons of a simple trigger (kept under its first name for readers of older configs). */
export const PropertyCondition = Comparison;
export type PropertyCondition = Comparison;

/**
 * Where an action goes: `web`, `mobile` and `store` are where the customer is (pull through the
 * decision API, or push to that channel's webhook, e.g. the store associates' app); `email`,
 * `sms` and `push` are sent by the business's own providers behind a webhook; `webhook` is the
 * tenant's general webhook.
 */
export const ActionChannel = z.enum(['webhook', 'web', 'mobile', 'store', 'email', 'sms', 'push']);
export type ActionChannel = z.infer<typeof ActionChannel>;

const StepId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" and "_"');

const ActionSpec = z.object({
  id: Slug,
  channel: ActionChannel.default('webhook'),
  /** The consent purpose the action uses (absent: `marketing`); checked before it is sent. */
  purpose: Slug.optional(),
  /** Static content sent with the action; personalisation comes with the action catalog. */
  payload: JsonObject.default({}),
});

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 09:30');

/** Steps of a journey: a graph whose edges are the step ids in `next` (and friends). */
export const Step = z.discriminatedUnion('type', [
  z.object({ type: z.literal('action'), action: ActionSpec, next: StepId.optional() }),
  z.object({
    type: z.literal('wait'),
    /** Wait this long, or until the next `untilTimeOfDay` in the customer's time zone. */
    duration: Duration.optional(),
    untilTimeOfDay: TimeOfDay.optional(),
    /** Never resume inside these local hours (e.g. 21:00 → 08:00): move to their end. */
    quietHours: z.object({ start: TimeOfDay, end: TimeOfDay }).optional(),
    next: StepId.optional(),
  }),
  z.object({
    type: z.literal('waitForEvent'),
    event: z.string().min(1).max(200),
    condition: Condition.optional(),
    timeout: Duration,
    /** An event seen this long before the step was reached counts too, so no race is lost. */
    lookback: Duration.default('5m'),
    next: StepId.optional(),
    onTimeout: StepId.optional(),
  }),
  z.object({
    type: z.literal('branch'),
    branches: z
      .array(z.object({ condition: Condition, next: StepId }))
      .min(1)
      .max(20),
    else: StepId.optional(),
  }),
  z.object({
    type: z.literal('split'),
    /** A/B/n: customers are assigned by a hash of customer and journey, the same every time. */
    variants: z
      .array(
        z.object({
          name: z.string().min(1).max(64),
          percent: z.number().min(0).max(100),
          next: StepId.optional(),
        }),
      )
      .min(2)
      .max(10),
  }),
  z.object({
    type: z.literal('holdout'),
    /** This share of customers gets nothing from here on, but is measured (goal) as a control group. */
    percent: z.number().min(0).max(100),
    next: StepId.optional(),
  }),
  z.object({ type: z.literal('exit') }),
]);
export type Step = z.infer<typeof Step>;

const EventMatch = z.object({ event: z.string().min(1).max(200), condition: Condition.optional() });

const Reentry = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('never') }),
  z.object({ mode: z.literal('always') }),
  z.object({ mode: z.literal('afterCooldown'), cooldown: Duration }),
]);

/** A multi-step journey. */
export const FullJourney = z.object({
  id: Slug,
  name: z.string().min(1).max(200),
  status: z.enum(['published', 'paused']),
  version: z.number().int().min(1).default(1),
  /** When several journeys want to act at once, the higher priority goes first. */
  priority: z.number().int().min(0).max(1_000).default(0),
  entry: z.union([
    EventMatch.extend({ kind: z.literal('event') }),
    /** Entry when a condition on the profile becomes true (after an identify, say). */
    z.object({ kind: z.literal('profile'), condition: Condition }),
  ]),
  reentry: Reentry.default({ mode: 'always' }),
  /** How many live instances a customer may have at once. */
  maxConcurrentInstances: z.number().int().min(1).max(10).default(1),
  start: StepId,
  steps: z.record(StepId, Step),
  /** Any of these events ends the instance, whatever step it is at (e.g. the customer purchased). */
  exitWhen: z.array(EventMatch).max(10).default([]),
  /** Conversion: this event within `within` of entry counts as the instance's goal. */
  goal: EventMatch.extend({ within: Duration }).optional(),
});

/**
 * The simple form: "an event matching the trigger fires the action". It is read as a journey
 * of one action step.
 */
const SimpleJourney = z
  .object({
    id: Slug,
    name: z.string().min(1).max(200),
    status: z.enum(['published', 'paused']),
    version: z.number().int().min(1).default(1),
    priority: z.number().int().min(0).max(1_000).default(0),
    trigger: z.object({
      event: z.string().min(1).max(200),
      conditions: z.array(Comparison).max(50).default([]),
    }),
    action: ActionSpec,
    reentry: z.enum(['always', 'never']).default('always'),
  })
  .transform(
    (simple): z.output<typeof FullJourney> => ({
      id: simple.id,
      name: simple.name,
      status: simple.status,
      version: simple.version,
      priority: simple.priority,
      entry: {
        kind: 'event',
        event: simple.trigger.event,
        ...(simple.trigger.conditions.length === 0 ? {} : { condition: { all: simple.trigger.conditions } }),
      },
      reentry: { mode: simple.reentry },
      maxConcurrentInstances: 1,
      start: 'fire',
      steps: { fire: { type: 'action', action: simple.action } },
      exitWhen: [],
    }),
  );

export type Journey = z.output<typeof FullJourney>;
export type JourneyInput = z.input<typeof FullJourney> | z.input<typeof SimpleJourney>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A journey in either form. The form is chosen by shape (`steps` means multi-step) rather than
 * by trying both, so a mistake is reported at its own path, not as "matches no form".
 */
export const Journey = z.unknown().transform((input, context): Journey => {
  const form = isObject(input) && 'steps' in input ? FullJourney : SimpleJourney;
  const result = form.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) context.addIssue({ ...issue, input: undefined } as never);
  return z.NEVER;
});
