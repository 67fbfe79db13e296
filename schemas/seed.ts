import * as z from 'zod';
import { TenantSettings } from './config-api.js';
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
});
export type DemoSeed = z.infer<typeof DemoSeed>;
