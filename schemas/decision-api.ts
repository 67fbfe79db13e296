import * as z from 'zod';
import { JsonObject, Slug } from './common.js';
import { Decision, SuppressionReason } from './decision.js';
import { Placement } from './decisioning.js';

/**
 * The decision API (issue 6, pull): `GET /v1/decide?customerId=…&channel=web&placement=…`
 * answers the best offer a web page or an app may show in one placement now, and counts it as
 * an impression against the customer's caps.
 */

/** Channels that pull: the customer is on them at the moment of asking. */
export const PullChannel = z.enum(['web', 'mobile', 'store']);
export type PullChannel = z.infer<typeof PullChannel>;

export const DecideQuery = z.object({
  /** As the tracking API names customers: the userId, or `anon:<anonymousId>`. */
  customerId: z.string().min(1).max(300),
  channel: PullChannel,
  placement: Placement,
  /**
   * The caller's id for this request: a retry with the same id is answered with the same
   * decision and counts no second impression. Absent: every request is a new one.
   */
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, "_", ".", ":" and "-", at most 128')
    .optional(),
});
export type DecideQuery = z.infer<typeof DecideQuery>;

/**
 * Why nothing is shown: a suppression reason, no catalog action for that placement and channel,
 * or a customer erased lately (nothing is written under an erased customer).
 */
export const NoDecisionReason = z.enum([
  ...SuppressionReason.options,
  'none_for_placement',
  'customer_erased',
]);
export type NoDecisionReason = z.infer<typeof NoDecisionReason>;

export const PulledDecision = z.object({
  action: Slug,
  channel: PullChannel,
  /** The catalog content, rendered for this customer. */
  content: JsonObject,
  /**
   * Deterministic for the request; send it back as `properties.actionId` of `action_viewed`,
   * `action_clicked` or `action_dismissed` to feed caps and cooldowns.
   */
  decisionId: z.string(),
  explanation: z.string(),
  factors: Decision.shape.factors.unwrap(),
});
export type PulledDecision = z.infer<typeof PulledDecision>;

export const DecideResponse = z.object({
  /** The offer to show, or null when there is none. */
  decision: PulledDecision.nullable(),
  /** When `decision` is null: why (the best-scoring candidate's reason). */
  reason: NoDecisionReason.optional(),
  /** In plain words, for the page and for the customer. */
  explanation: z.string(),
});
export type DecideResponse = z.infer<typeof DecideResponse>;
