import type { CustomerState } from '../../../schemas/customer-state.js';
import { durationSeconds } from '../../../schemas/duration.js';
import type { ActionChannel } from '../../../schemas/journey.js';

/** Channels where the customer must be present right now to be reached. */
const REAL_TIME: ReadonlySet<ActionChannel> = new Set(['web', 'mobile', 'store']);

export const DEFAULT_PRESENCE = { session: '30m', store: '1h' } as const;

export interface Presence {
  session: string;
  store: string;
}

/**
 * When the customer was last active on a real-time channel, if that is recent enough to count as
 * live at `now`: `web` and `mobile` within the session window, `store` when a store event (with
 * a store id) falls within the store window. Activity after `now` counts (a late record).
 */
export function liveSince(
  state: Pick<CustomerState, 'channels' | 'lastStoreVisit'>,
  channel: ActionChannel,
  presence: Presence,
  now: number,
): number | undefined {
  const seen =
    channel === 'store'
      ? state.lastStoreVisit?.at
      : channel === 'web' || channel === 'mobile'
        ? state.channels?.[channel]?.lastSeenAt
        : undefined;
  if (seen === undefined) return undefined;
  const at = Date.parse(seen);
  const windowMs = durationSeconds(channel === 'store' ? presence.store : presence.session) * 1_000;
  return now - at <= windowMs ? at : undefined;
}

/**
 * The channels to try for an action, best first. The rule:
 * 1. only channels the action allows;
 * 2. real-time channels (web, mobile, store) only while live, the most recently active first
 *    (a customer who left the website and walked into a store gets the store action), ties in
 *    the action's order;
 * 3. then outbound channels (email, sms, push, webhook), always reachable, in the action's order.
 * Empty: no allowed channel is live.
 */
export function rankChannels(
  allowed: readonly ActionChannel[],
  state: Pick<CustomerState, 'channels' | 'lastStoreVisit'>,
  presence: Presence,
  now: number,
): ActionChannel[] {
  const live: { channel: ActionChannel; at: number; order: number }[] = [];
  const outbound: ActionChannel[] = [];
  allowed.forEach((channel, order) => {
    if (!REAL_TIME.has(channel)) {
      outbound.push(channel);
      return;
    }
    const at = liveSince(state, channel, presence, now);
    if (at !== undefined) live.push({ channel, at, order });
  });
  live.sort((a, b) => b.at - a.at || a.order - b.order);
  return [...live.map((entry) => entry.channel), ...outbound];
}

/** Quiet hours keep outbound channels silent; a customer on a real-time channel is talking to us. */
export const isOutbound = (channel: ActionChannel) => !REAL_TIME.has(channel);
