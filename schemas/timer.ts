import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';

/**
 * A pending journey timer, written with the customer's state and read by the sweeper from a
 * due-time index when it is due.
 */
export const Timer = z.object({
  timerId: z.string().min(1).max(140),
  tenantId: Slug,
  customerId: z.string().min(1),
  instanceId: z.string().min(1).max(140),
  dueAt: IsoDateTime,
});
export type Timer = z.infer<typeof Timer>;
