import type { ActionChannel } from '../../../schemas/journey.js';
import { type Send, sendsWithin } from './caps-history.js';
import type { CatalogAction, TenantCap } from './policy.js';

/** The cap that stopped a send, and how many sends it had counted. */
export interface CapHit {
  id: string;
  max: number;
  per: string;
  count: number;
}

/**
 * The first cap that one more send of `action` on `channel` at `now` would break: the action's
 * own caps, then the tenant's caps of that channel, then its global caps. A cap of N allows N
 * sends within its rolling window: the N+1th is refused.
 */
export function capThatStops(
  sends: readonly Send[],
  catalog: CatalogAction | undefined,
  tenantCaps: readonly TenantCap[],
  action: string,
  channel: ActionChannel,
  now: number,
): CapHit | undefined {
  for (const cap of catalog?.caps ?? []) {
    const count = sendsWithin(sends, cap.per, now, { action });
    if (count >= cap.max) return { id: `action:${action}:${cap.per}`, max: cap.max, per: cap.per, count };
  }
  // The channel's caps first, then the global ones.
  for (const cap of [...tenantCaps].sort(
    (a, b) => Number(a.channel === 'all') - Number(b.channel === 'all'),
  )) {
    if (cap.channel !== channel && cap.channel !== 'all') continue;
    const count = sendsWithin(sends, cap.per, now, cap.channel === 'all' ? {} : { channel });
    if (count >= cap.max) return { id: cap.id, max: cap.max, per: cap.per, count };
  }
  return undefined;
}
