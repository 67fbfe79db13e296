import * as z from 'zod';
import { IsoDateTime, JsonObject, Slug } from './common.js';
import { Condition } from './condition.js';
import { Duration } from './duration.js';
import { ActionChannel } from './journey.js';

/**
 * Next-best-action decisioning (issue 6): what the action catalog says about each action, and
 * what a customer's `CAPS` item remembers. Read by the pure core in lambdas/core/decisioning/.
 */

/**
 * How likely the customer is to respond, 0..1 (Pega's "P"): a fixed score, the first matching
 * rule over profile and event, or a score the business's own model put in the event.
 */
export const Propensity = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('static'), score: z.number().min(0).max(1) }),
  z.strictObject({
    kind: z.literal('rules'),
    rules: z
      .array(z.strictObject({ when: Condition, score: z.number().min(0).max(1) }))
      .min(1)
      .max(20),
    /** When no rule matches. */
    otherwise: z.number().min(0).max(1).default(0.5),
  }),
  z.strictObject({
    kind: z.literal('event'),
    /** Where the event carries the score, e.g. `properties.scores.gold-upsell`. */
    path: z.string().regex(/^(properties|context)(\.[A-Za-z0-9_$-]+)+$/, 'a path like properties.score'),
    /** When the event has no number in [0, 1] there. */
    otherwise: z.number().min(0).max(1).default(0.5),
  }),
]);
export type Propensity = z.infer<typeof Propensity>;

/** At most `max` sends of this action per customer within the rolling window `per`. */
export const ActionCap = z.strictObject({
  max: z.number().int().min(1).max(1_000),
  per: Duration,
});
export type ActionCap = z.infer<typeof ActionCap>;

/**
 * Where a page or an app shows an always-on offer (`home-hero`, `checkout-sidebar`): the
 * `placement` a pull request (`GET /v1/decide`) asks for, and what a catalog action lists.
 */
export const Placement = Slug;

/**
 * The decisioning fields of a catalog action; all optional, so a catalog written before them
 * (name, description, channel) still reads, and its actions get the neutral factors.
 */
export const ActionDecisioning = {
  /** Channels it may use; Écoute picks the live one (see lambdas/core/decisioning/channel-choice.ts). */
  channels: z.array(ActionChannel).min(1).max(7).optional(),
  /**
   * Content sent with the action. String values may hold `{{ traits.firstName | default: "there" }}`:
   * values from the profile (`traits.*`) and the event (`properties.*`, `context.*`, `event`).
   */
  content: JsonObject.optional(),
  /** Who may get it, in the journeys' condition language (behaviour counts read as 0 here). */
  eligibility: Condition.optional(),
  /** Business value ("V"), > 0. */
  value: z.number().positive().max(1_000_000).optional(),
  /** Priority ("L"); absent: the journey's priority. */
  priority: z.number().min(0).max(1_000).optional(),
  propensity: Propensity.optional(),
  validFrom: IsoDateTime.optional(),
  validUntil: IsoDateTime.optional(),
  caps: z.array(ActionCap).max(5).optional(),
  /** No new send of this action for this long after the customer dismissed it. */
  cooldownAfterDismissal: Duration.optional(),
  /** Once the customer did `event` (the action's goal), not offered again for `suppressFor`. */
  conversion: z.strictObject({ event: z.string().min(1).max(200), suppressFor: Duration }).optional(),
  /** The consent purpose it uses; absent: `marketing`. */
  purpose: Slug.optional(),
  /**
   * Placements where it is an always-on offer: `GET /v1/decide` weighs the actions listing the
   * placement asked for whose `channels` include the channel asked for. Absent: push only.
   */
  placements: z.array(Placement).min(1).max(20).optional(),
};

/** The kinds of memory a customer's caps item keeps. */
export const HistoryKind = z.enum(['sent', 'viewed', 'clicked', 'dismissed', 'converted']);
export type HistoryKind = z.infer<typeof HistoryKind>;

/**
 * One remembered fact: an action sent (`id` = its action id), or feedback / a conversion (`id` =
 * the event's message id). (`kind`, `id`) is unique: replaying a cause never counts twice.
 */
export const HistoryEntry = z.object({
  kind: HistoryKind,
  id: z.string().min(1).max(128),
  /** The catalog action. */
  action: Slug,
  channel: ActionChannel.optional(),
  at: IsoDateTime,
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** Entries kept per customer, newest last; and none older than this many days. */
export const HISTORY_ENTRIES_KEPT = 300;
export const HISTORY_DAYS_KEPT = 90;

/** The customer's `CAPS` item: versioned, written under a condition by the processor and the decision API. */
export const CapsHistory = z.object({
  version: z.number().int().min(0),
  entries: z.array(HistoryEntry).max(HISTORY_ENTRIES_KEPT),
});
export type CapsHistory = z.infer<typeof CapsHistory>;

/** Real-time presence: how recent an activity must be for a channel to count as live. */
export const PresenceWindows = z.strictObject({
  /** An open web or app session: activity on `web` / `mobile` within this. */
  session: Duration.default('30m'),
  /** In a store: a store event (with a store id) within this. */
  store: Duration.default('1h'),
});
export type PresenceWindows = z.infer<typeof PresenceWindows>;
