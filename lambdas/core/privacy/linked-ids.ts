import type { CustomerState } from '../../../schemas/customer-state.js';
import { ANONYMOUS_PREFIX } from '../../../schemas/segment-call.js';

/**
 * The ids whose data became this customer's: ids merged into them and their anonymous ids
 * (devices, browsers, as `anon:<id>` customers). Their partitions hold `mergedInto` stubs
 * (link records, dedupe windows) that an export shows and an erasure must reach too.
 */
export function linkedIdsOf(state: CustomerState | undefined): string[] {
  if (state === undefined) return [];
  const anonymous = (state.profile?.anonymousIds ?? []).map((id) => `${ANONYMOUS_PREFIX}${id}`);
  return [...new Set([...(state.mergedFrom ?? []), ...anonymous])].filter((id) => id !== state.customerId);
}
