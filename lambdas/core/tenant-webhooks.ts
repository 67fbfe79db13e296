import type { ActionChannel } from '../../schemas/journey.js';
import type { Tenant, Webhook } from '../../schemas/tenant.js';

export type ChannelWebhooks = Partial<Record<ActionChannel, Webhook>>;

/** The channel whose webhook receives the actions of channels that have none of their own. */
export const FALLBACK_CHANNEL: ActionChannel = 'webhook';

/**
 * The tenant's webhooks by channel. A tenant written before webhooks per channel has its one
 * `webhook`: it is read as the `webhook` channel's (migration on read), unless `webhooks`
 * already names one for that channel.
 */
export function webhooksOf(tenant: Pick<Tenant, 'webhook' | 'webhooks'>): ChannelWebhooks {
  return {
    ...(tenant.webhook === undefined ? {} : { [FALLBACK_CHANNEL]: tenant.webhook }),
    ...tenant.webhooks,
  };
}

/**
 * Where an action of `channel` is pushed: the channel's own webhook, else the `webhook`
 * channel's, else nowhere (undefined).
 *
 * @example
 * webhookForChannel({ webhooks: { webhook: general } }, 'sms') // general
 */
export function webhookForChannel(
  tenant: Pick<Tenant, 'webhook' | 'webhooks'>,
  channel: ActionChannel,
): Webhook | undefined {
  const webhooks = webhooksOf(tenant);
  return webhooks[channel] ?? webhooks[FALLBACK_CHANNEL];
}

/** True when an action of `channel` has somewhere to go (its own webhook or the fallback). */
export function channelCanDeliver(
  tenant: Pick<Tenant, 'webhook' | 'webhooks'>,
  channel: ActionChannel,
): boolean {
  return webhookForChannel(tenant, channel) !== undefined;
}

/** The tenant with `channel` pushed to `webhook`, and the legacy field moved into `webhooks`. */
export function withChannelWebhook(tenant: Tenant, channel: ActionChannel, webhook: Webhook): Tenant {
  const { webhook: _legacy, ...rest } = tenant;
  return { ...rest, webhooks: { ...webhooksOf(tenant), [channel]: webhook } };
}
