import * as z from 'zod';
import { Slug } from './common.js';
import { ActionDefinitionInput, TenantSettings } from './config-api.js';
import { Journey } from './journey.js';
import { Tenant } from './tenant.js';

/** The demo tenant `npm start` creates: its webhook is the local demo receiver, set at start. */
export const DemoSeed = z.object({
  tenant: Tenant.omit({ webhook: true, webhooks: true }),
  journeys: z.array(Journey).min(1),
  /**
   * The tenant's settings, written when it has none yet. The demo grants analytics,
   * personalization and marketing by tenant default so that its events run journeys at once:
   * a demo choice; a real tenant decides its own defaults (opt-in without settings).
   */
  settings: TenantSettings.optional(),
  /**
   * Catalog actions (always-on offers among them), each written when the tenant has no action
   * of that id yet: a marketer's later edits are kept across restarts, as for settings.
   */
  actions: z
    .array(ActionDefinitionInput.safeExtend({ id: Slug }))
    .max(50)
    .optional(),
});
export type DemoSeed = z.infer<typeof DemoSeed>;
