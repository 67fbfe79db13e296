import * as z from 'zod';
import { RejectedCall } from './tracking-api.js';

/** The one error shape of every HTTP answer that is not a success. */
export const ApiError = z.object({
  code: z.string(),
  message: z.string(),
  /** JSON path of the offending field, e.g. `batch.3.userId`. */
  path: z.string().optional(),
  /** Every problem found, when there are several. */
  errors: z
    .array(z.object({ code: z.string(), message: z.string(), path: z.string().optional() }))
    .optional(),
  /** `/v1/batch` when no call was accepted: each refused call, by index (see `RejectedCall`). */
  rejected: z.array(RejectedCall).optional(),
});
export type ApiError = z.infer<typeof ApiError>;
