import type { Webhook } from '../../schemas/tenant.js';
import { SIGNATURE_HEADER, signWebhookBody } from '../core/webhook-signature.js';

export type WebhookResult = { ok: true; status: number } | { ok: false; reason: string };

/**
 * POSTs one JSON body to a webhook, signed, with the idempotency key that lets the receiver
 * drop a repeat. Any answer other than 2xx, a timeout or a network error is a failed attempt.
 */
export async function postToWebhook(
  webhook: Webhook,
  body: string,
  idempotencyKey: string,
  now: Date,
  timeoutMs: number,
): Promise<WebhookResult> {
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'user-agent': 'ecoute-webhooks/1',
        [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body, Math.floor(now.getTime() / 1_000)),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, reason: `webhook answered HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    return {
      ok: false,
      reason: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `network error (${name})`,
    };
  }
}
