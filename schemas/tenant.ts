import * as z from 'zod';
import { Slug } from './common.js';
import { ActionChannel } from './journey.js';

export const Webhook = z.object({
  url: z.url({ protocol: /^https?$/ }),
  /** Signs each delivery (HMAC-SHA256) so the receiver can tell it came from Écoute. */
  secret: z.string().min(16).max(256),
});
export type Webhook = z.infer<typeof Webhook>;

/** Events per second a tenant may send when its settings say nothing else. */
export const DEFAULT_EVENTS_PER_SECOND = 1_000;

export const TenantLimits = z.object({
  /** Calls accepted per second over the tracking API (a fixed one-second window); more get 429. */
  eventsPerSecond: z.number().int().min(1).max(1_000_000).default(DEFAULT_EVENTS_PER_SECOND),
});
export type TenantLimits = z.infer<typeof TenantLimits>;

export const Tenant = z.object({
  tenantId: Slug,
  name: z.string().min(1).max(200),
  /**
   * Legacy: the one webhook of tenants written before webhooks per channel. Read as the
   * `webhook` channel's (see `webhooksOf` in lambdas/core/tenant-webhooks.ts); the config API
   * moves it into `webhooks` on the next change.
   */
  webhook: Webhook.optional(),
  /** Where each channel's actions are pushed; a channel without one falls back to `webhook`'s. */
  webhooks: z.partialRecord(ActionChannel, Webhook).optional(),
  limits: TenantLimits.optional(),
});
export type Tenant = z.infer<typeof Tenant>;
