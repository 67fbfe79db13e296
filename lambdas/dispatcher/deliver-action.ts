import { ActionWebhookBody } from '../../schemas/action.js';
import { loadTenant } from '../adapters/config-store.js';
import { env } from '../adapters/env.js';
import { logger } from '../adapters/logger.js';
import {
  type ActionKey,
  claimDeliveryAttempt,
  recordCancelled,
  recordDelivered,
  recordFailedAttempt,
} from '../adapters/outbox-store.js';
import { postToWebhook } from '../adapters/webhook-client.js';
import { nextDeliveryStep } from '../core/delivery-policy.js';
import { customerRef } from '../core/ids.js';
import { webhookForChannel } from '../core/tenant-webhooks.js';
import { consentStillAllows } from './consent-gate.js';

export type DeliveryOutcome = 'delivered' | 'retry_scheduled' | 'dead_lettered' | 'not_ours' | 'cancelled';

/** What an attempt did, with what its metrics are counted under (nothing when it was not ours). */
export type DeliveryAttempt =
  | { outcome: 'not_ours' }
  | {
      outcome: Exclude<DeliveryOutcome, 'not_ours' | 'delivered'>;
      tenantId: string;
      channel: string;
    }
  | {
      outcome: 'delivered';
      tenantId: string;
      channel: string;
      /** From the action's `firedAt` to this attempt, the time recorded as its delivery. */
      latencyMs: number;
    };

/**
 * One delivery attempt of one action: claim it, POST it to the webhook of its channel, record the
 * outcome. Used by the dispatcher (first attempt, from the table's stream) and by the sweeper
 * (retries), so both follow the same rules.
 */
export async function attemptDelivery(
  key: ActionKey,
  attemptsSeen: number,
  now: Date,
): Promise<DeliveryAttempt> {
  const action = await claimDeliveryAttempt(key, attemptsSeen, now);
  if (action === null) return { outcome: 'not_ours' };
  const attempt = action.delivery.attempts;
  const log = { tenantId: action.tenantId, customerRef: customerRef(action.tenantId, action.customerId) };
  const countedUnder = { tenantId: action.tenantId, channel: action.channel };

  // Consent again, just before sending: it may have been withdrawn while the action waited.
  if (!(await consentStillAllows(action, now))) {
    await recordCancelled(key, 'withdrawn', now, { statuses: ['sending'], attempts: attempt });
    logger.info('action cancelled: consent withdrawn', { ...log, actionId: action.actionId, attempt });
    return { outcome: 'cancelled', ...countedUnder };
  }

  const tenant = await loadTenant(action.tenantId);
  // The channel's own webhook, else the tenant's general (`webhook` channel) one.
  const webhook = tenant === null ? undefined : webhookForChannel(tenant, action.channel);
  const result =
    webhook === undefined
      ? ({
          ok: false,
          reason: `the tenant has no webhook configured for the ${action.channel} channel`,
        } as const)
      : await postToWebhook(webhook, JSON.stringify(ActionWebhookBody.parse(action)), action.actionId, now, {
          timeoutMs: env().DELIVERY_TIMEOUT_MS,
          allowPrivate: env().ALLOW_PRIVATE_WEBHOOKS,
        });

  if (result.ok) {
    await recordDelivered(key, attempt, now);
    logger.info('action delivered', { ...log, actionId: action.actionId, attempt });
    return { outcome: 'delivered', ...countedUnder, latencyMs: now.getTime() - Date.parse(action.firedAt) };
  }
  const settings = env();
  const next = nextDeliveryStep(
    {
      maxAttempts: settings.DELIVERY_MAX_ATTEMPTS,
      baseDelaySeconds: settings.DELIVERY_BACKOFF_BASE_SECONDS,
      maxDelaySeconds: 3_600,
    },
    attempt,
    now,
    Math.random(),
  );
  if (next.kind === 'retry') {
    await recordFailedAttempt(key, attempt, result.reason, { retryAt: next.at });
    logger.warn('action delivery failed, will retry', {
      ...log,
      actionId: action.actionId,
      attempt,
      reason: result.reason,
    });
    return { outcome: 'retry_scheduled', ...countedUnder };
  }
  await recordFailedAttempt(key, attempt, result.reason, { deadLetteredAt: now });
  logger.error('action dead-lettered', { ...log, actionId: action.actionId, attempt, reason: result.reason });
  return { outcome: 'dead_lettered', ...countedUnder };
}
