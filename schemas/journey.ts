import * as z from 'zod';
import { JsonObject, Slug } from './common.js';

/** A dotted path into the event, e.g. `properties.cart.total` or `context.channel`. */
const EventPath = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(properties|context|event|userId|anonymousId)(\.[A-Za-z0-9_$-]+)*$/,
    'an event path like properties.total',
  );

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One comparison on the triggering event; a trigger matches when all of its conditions hold. */
export const PropertyCondition = z.discriminatedUnion('op', [
  z.object({ path: EventPath, op: z.enum(['eq', 'neq']), value: Scalar }),
  z.object({ path: EventPath, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() }),
  z.object({ path: EventPath, op: z.literal('in'), value: z.array(Scalar).min(1).max(1_000) }),
  z.object({ path: EventPath, op: z.enum(['contains', 'startsWith']), value: z.string() }),
  z.object({ path: EventPath, op: z.literal('exists') }),
]);
export type PropertyCondition = z.infer<typeof PropertyCondition>;

export const ActionChannel = z.enum(['webhook']);

/**
 * A journey as the spine runs it: an event that matches the trigger fires the action.
 * Multi-step journeys (waits, branches, splits) extend this shape.
 */
export const Journey = z.object({
  id: Slug,
  name: z.string().min(1).max(200),
  status: z.enum(['published', 'paused']),
  version: z.number().int().min(1).default(1),
  trigger: z.object({
    event: z.string().min(1).max(200),
    conditions: z.array(PropertyCondition).max(50).default([]),
  }),
  action: z.object({
    id: Slug,
    channel: ActionChannel.default('webhook'),
    /** Static content sent with the action; personalisation comes with the action catalog. */
    payload: JsonObject.default({}),
  }),
  /** Whether a customer can fire this journey's action again on a later matching event. */
  reentry: z.enum(['always', 'never']).default('always'),
});
export type Journey = z.infer<typeof Journey>;
export type JourneyInput = z.input<typeof Journey>;
