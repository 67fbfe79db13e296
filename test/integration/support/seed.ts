import { randomUUID } from 'node:crypto';
import { getConfigDocument, putConfigDocument } from '../../../lambdas/adapters/config-document-store.js';
import { putJourney, putTenant, putWriteKey } from '../../../lambdas/adapters/config-store.js';
import { TenantSettings } from '../../../schemas/config-api.js';
import type { JourneyInput } from '../../../schemas/journey.js';
import { Journey } from '../../../schemas/journey.js';
import type { Tenant, Webhook } from '../../../schemas/tenant.js';

/**
 * Settings of a tenant whose customers consent to analytics, personalization and marketing, on
 * every channel (email, sms and push included), by
 * default: what the journey tests assume, said explicitly (Écoute is opt-in without settings).
 */
export const CONSENTING_SETTINGS = TenantSettings.parse({
  consentDefaults: { analytics: true, personalization: true, marketing: true },
  channelConsentDefaults: { email: true, sms: true, push: true },
});

export interface SeededTenant {
  tenantId: string;
  writeKey: string;
}

/**
 * Writes a tenant, one write key, its journeys and its settings through the config store, as
 * the config API would; the adapters must already point at the test file's tables.
 */
export async function seedTenant(options: {
  tenantId: string;
  /** The legacy single webhook, as tenants created before webhooks per channel have it. */
  webhook?: Webhook;
  webhooks?: Tenant['webhooks'];
  journeys?: JourneyInput[];
  /** Tenant settings; CONSENTING_SETTINGS unless given; `null`: none (opt-in, settings API at revision 0). */
  settings?: TenantSettings | null;
}): Promise<SeededTenant> {
  const { tenantId } = options;
  const writeKey = `wk_${tenantId}_${randomUUID().slice(0, 8)}`;
  await putTenant({
    tenantId,
    name: `Tenant ${tenantId}`,
    ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  await putWriteKey(tenantId, writeKey, new Date());
  for (const journey of options.journeys ?? []) await putJourney(tenantId, Journey.parse(journey));
  const settings = options.settings === undefined ? CONSENTING_SETTINGS : options.settings;
  if (settings !== null) {
    // Seeding again (a test that re-seeds its tenant) replaces the settings at their revision.
    const current = await getConfigDocument(tenantId, 'settings');
    await putConfigDocument(tenantId, 'settings', settings, current?.revision ?? 0, {
      by: 'test-seed',
      now: new Date(),
      changes: [],
      truncated: false,
    });
  }
  return { tenantId, writeKey };
}

/** A journey that fires `send-reminder` when a cart worth at least 50 is abandoned. */
export const cartReminder: JourneyInput = {
  id: 'cart-reminder',
  name: 'Cart reminder',
  status: 'published',
  trigger: {
    event: 'cart_abandoned',
    conditions: [{ path: 'properties.total', op: 'gte', value: 50 }],
  },
  action: { id: 'send-reminder', payload: { template: 'cart-reminder-1' } },
};
