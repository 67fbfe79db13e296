import { describe, expect, it } from 'vitest';
import {
  channelCanDeliver,
  webhookForChannel,
  webhooksOf,
  withChannelWebhook,
} from '../../lambdas/core/tenant-webhooks.js';

const general = { url: 'https://hooks.example.com/all', secret: 'general-secret-0001' };
const sms = { url: 'https://sms.example.com/in', secret: 'sms-secret-00000001' };

describe('webhooks per channel', () => {
  it('reads the legacy single webhook as the webhook channel', () => {
    expect(webhooksOf({ webhook: general })).toEqual({ webhook: general });
  });

  it('sends a channel’s actions to its own webhook, others to the webhook channel’s', () => {
    const tenant = { webhooks: { webhook: general, sms } };
    expect(webhookForChannel(tenant, 'sms')).toEqual(sms);
    expect(webhookForChannel(tenant, 'email')).toEqual(general);
    expect(webhookForChannel({ webhook: general }, 'push')).toEqual(general);
  });

  it('has nowhere to send a channel without its own webhook when there is no fallback', () => {
    const tenant = { webhooks: { sms } };
    expect(webhookForChannel(tenant, 'email')).toBeUndefined();
    expect(channelCanDeliver(tenant, 'email')).toBe(false);
    expect(channelCanDeliver(tenant, 'sms')).toBe(true);
    expect(channelCanDeliver({}, 'webhook')).toBe(false);
  });

  it('moves the legacy webhook into webhooks when a channel changes', () => {
    const tenant = { tenantId: 'acme', name: 'Acme', webhook: general };
    expect(withChannelWebhook(tenant, 'sms', sms)).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      webhooks: { webhook: general, sms },
    });
    expect(withChannelWebhook(tenant, 'webhook', sms)).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      webhooks: { webhook: sms },
    });
  });
});
