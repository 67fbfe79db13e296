import * as z from 'zod';
import { Journey } from './journey.js';
import { Tenant } from './tenant.js';

/** The demo tenant `npm start` creates: its webhook is the local demo receiver, set at start. */
export const DemoSeed = z.object({
  tenant: Tenant.omit({ webhook: true, webhooks: true }),
  journeys: z.array(Journey).min(1),
});
export type DemoSeed = z.infer<typeof DemoSeed>;
