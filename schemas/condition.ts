import * as z from 'zod';
import { Duration } from './duration.js';

/**
 * The condition language: a JSON tree, compiled once per published journey version into
 * closures (never `eval`). Paths read the current event (`event` is its name, `properties.*`,
 * `context.*`, `channel`, `userId`, `anonymousId`) and the customer's profile (`traits.*`).
 */
export const ConditionPath = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(properties|context|event|channel|userId|anonymousId|traits)(\.[A-Za-z0-9_$-]+)*$/,
    'a path like properties.total or traits.tier',
  );

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One comparison on a value found at a path. */
export const Comparison = z.discriminatedUnion('op', [
  z.object({ path: ConditionPath, op: z.enum(['eq', 'neq']), value: Scalar }),
  z.object({ path: ConditionPath, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() }),
  z.object({ path: ConditionPath, op: z.literal('in'), value: z.array(Scalar).min(1).max(1_000) }),
  z.object({ path: ConditionPath, op: z.enum(['contains', 'startsWith']), value: z.string() }),
  z.object({ path: ConditionPath, op: z.enum(['exists', 'notExists']) }),
  /** The time (ISO-8601) at the path lies within the last `duration`. */
  z.object({ path: ConditionPath, op: z.literal('within'), duration: Duration }),
]);
export type Comparison = z.infer<typeof Comparison>;

/**
 * Behaviour over time, from compact per-customer counters: "viewed shoes at least 3 times in
 * 7 days" is `{ count: { event: 'Product Viewed', where: …category = shoes…, within: '7d' }, op:
 * 'gte', value: 3 }`; "no purchase in 30 days" is `… op: 'eq', value: 0`. Windows up to 90 days.
 */
export const BehaviourCount = z.object({
  count: z.object({
    event: z.string().min(1).max(200),
    where: z.array(Comparison).max(10).optional(),
    within: Duration,
  }),
  op: z.enum(['eq', 'gt', 'gte', 'lt', 'lte']),
  value: z.number().int().min(0),
});
export type BehaviourCount = z.infer<typeof BehaviourCount>;

export type Condition =
  | Comparison
  | BehaviourCount
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Comparison,
    BehaviourCount,
    z.object({ all: z.array(Condition).min(1).max(50) }),
    z.object({ any: z.array(Condition).min(1).max(50) }),
    z.object({ not: Condition }),
  ]),
);
