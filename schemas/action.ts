import * as z from 'zod';
import { IsoDateTime, JsonObject, Slug } from './common.js';
import { ActionChannel } from './journey.js';

/** `cancelled`: never sent, because the customer's consent no longer allows it (`lastError` says why). */
export const DeliveryStatus = z.enum([
  'pending',
  'sending',
  'retrying',
  'delivered',
  'dead_lettered',
  'cancelled',
]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z.object({
  status: DeliveryStatus,
  attempts: z.number().int().min(0),
  lastAttemptAt: IsoDateTime.optional(),
  lastError: z.string().max(500).optional(),
  deliveredAt: IsoDateTime.optional(),
  /** When the dead letter was last put back into the retry queue (`npm run deliveries:replay`). */
  replayedAt: IsoDateTime.optional(),
  cancelledAt: IsoDateTime.optional(),
});
export type Delivery = z.infer<typeof Delivery>;

/**
 * An action fired for a customer: what to do, why, and how its delivery went. `actionId` is a
 * hash of tenant, customer, journey and triggering message, so the same cause always yields
 * the same id; it travels as the webhook's `Idempotency-Key`.
 */
export const Action = z.object({
  actionId: z.string().regex(/^[a-f0-9]{32}$/),
  tenantId: Slug,
  customerId: z.string().min(1),
  journeyId: Slug,
  journeyVersion: z.number().int().min(1),
  action: Slug,
  channel: ActionChannel,
  payload: JsonObject,
  firedAt: IsoDateTime,
  triggeredBy: z.object({ messageId: z.string(), event: z.string() }),
  /** The journey instance and step that fired it, and why, in words. */
  instanceId: z.string().optional(),
  stepId: z.string().optional(),
  priority: z.number().int().optional(),
  variant: z.string().optional(),
  reason: z.string().max(500).optional(),
  /** The consent purpose this action uses; absent means `marketing`. */
  purpose: Slug.optional(),
  /** Not to be sent before this time: decided inside the customer's quiet hours, deferred to their end. */
  deliverAt: IsoDateTime.optional(),
  delivery: Delivery,
});
export type Action = z.infer<typeof Action>;

/** What a webhook receives: the action without its delivery bookkeeping. */
export const ActionWebhookBody = Action.omit({ delivery: true });
export type ActionWebhookBody = z.infer<typeof ActionWebhookBody>;

export const ActionsResponse = z.object({ actions: z.array(Action) });
export type ActionsResponse = z.infer<typeof ActionsResponse>;
