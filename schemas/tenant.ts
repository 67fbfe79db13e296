import * as z from 'zod';
import { Slug } from './common.js';

export const Webhook = z.object({
  url: z.url({ protocol: /^https?$/ }),
  /** Signs each delivery (HMAC-SHA256) so the receiver can tell it came from Écoute. */
  secret: z.string().min(16).max(256),
});
export type Webhook = z.infer<typeof Webhook>;

export const Tenant = z.object({
  tenantId: Slug,
  name: z.string().min(1).max(200),
  webhook: Webhook.optional(),
});
export type Tenant = z.infer<typeof Tenant>;
