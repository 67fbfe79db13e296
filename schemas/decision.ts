import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';
import { ConsentBasis } from './consent.js';

/**
 * A decision about one candidate action for one customer, taken or suppressed, with every
 * reason (issue 5 "transparency", issue 6 "arbitration"). Written by the processor (push) and
 * the decision API (pull) under the customer's partition as `DECISION#<decidedAt>#<decisionId>`,
 * kept for the tenant's retention, shown to the business (`GET /v1/customers/{id}/decisions`)
 * and, in plain words, to the customer (privacy API).
 */
export const DecisionOutcome = z.enum(['taken', 'suppressed']);

/** Why a candidate was stopped; absent when it was taken. */
export const SuppressionReason = z.enum([
  'no_consent',
  'frequency_cap',
  'cooldown_after_dismissal',
  'quiet_hours',
  'converted',
  'not_eligible',
  'outside_validity',
  'no_live_channel',
  'lost_arbitration',
  'holdout',
  'withdrawn',
]);
export type SuppressionReason = z.infer<typeof SuppressionReason>;

export const Decision = z.object({
  /** Deterministic: the candidate's action id (push) or a hash of the request (pull). */
  decisionId: z.string().min(1).max(64),
  tenantId: Slug,
  customerId: z.string().min(1),
  decidedAt: IsoDateTime,
  outcome: DecisionOutcome,
  reason: SuppressionReason.optional(),
  /** The catalog action and the channel chosen (or considered). */
  action: Slug,
  channel: z.string().min(1).max(32).optional(),
  /** Where it came from: a journey step, or an always-on offer asked for by a placement. */
  source: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('journey'),
      journeyId: Slug,
      version: z.number().int().min(1),
      stepId: z.string().optional(),
      instanceId: z.string().optional(),
    }),
    z.object({ kind: z.literal('placement'), placement: z.string().min(1).max(100) }),
  ]),
  /** What caused it: the triggering event's name and message id. */
  trigger: z.object({ event: z.string(), messageId: z.string() }).optional(),
  /** Arbitration factors (priority × propensity × value × context weight) and the score. */
  factors: z
    .object({
      priority: z.number(),
      propensity: z.number(),
      value: z.number(),
      contextWeight: z.number(),
      score: z.number(),
      rank: z.number().int().min(1).optional(),
    })
    .optional(),
  consent: ConsentBasis.optional(),
  /** The cap that stopped it, or the caps it was counted against. */
  cap: z
    .object({ id: z.string(), max: z.number().int(), per: z.string(), count: z.number().int() })
    .optional(),
  /** The same, in plain words, for the customer. */
  explanation: z.string().max(1_000),
  /** The action fired, when taken (push). */
  actionId: z.string().optional(),
  /** When a taken action will be sent, if later than the decision: the end of quiet hours. */
  deliverAt: IsoDateTime.optional(),
});
export type Decision = z.infer<typeof Decision>;

export const DecisionList = z.object({ decisions: z.array(Decision) });
