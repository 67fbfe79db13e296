import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PutWebhookRequest, type WebhookResource } from '../../schemas/config-api.js';
import { ActionChannel } from '../../schemas/journey.js';
import type { Webhook } from '../../schemas/tenant.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { getTenantWithRevision, putTenantIfUnchanged } from '../adapters/tenant-config-store.js';
import { NotFoundError } from '../core/errors.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { etagOf, refuseIfMatchOnCreate, requireFreshIfMatch } from './etag.js';

const MAX_WEBHOOK_REQUEST_BYTES = 4_096;

const asResource = (channel: string, webhook: Webhook, showSecret: boolean): WebhookResource => ({
  channel,
  url: webhook.url,
  secretHint: webhook.secret.slice(-4),
  ...(showSecret ? { secret: webhook.secret } : {}),
});

async function tenantOf(key: AuthenticatedKey) {
  const found = await getTenantWithRevision(key.tenantId);
  if (found === null) throw new NotFoundError('No such tenant.');
  return found;
}

/** GET /v1/webhooks: each configured channel, never a whole secret. ETag: the tenant's revision. */
export async function listWebhooks(key: AuthenticatedKey): Promise<HttpResult> {
  const { tenant, revision } = await tenantOf(key);
  const webhooks = tenant.webhook === undefined ? [] : [asResource('webhook', tenant.webhook, false)];
  return jsonResponse(200, { webhooks }, { etag: etagOf(revision) });
}

/**
 * PUT /v1/webhooks/{channel}: sets where the channel delivers. The `webhook` channel is the
 * tenant's webhook, which the dispatcher reads and signs for; the first secret and every
 * rotation are shown once. A rotation takes effect at once: receivers should accept the old and
 * new secret for a few minutes (warm functions cache config for CONFIG_CACHE_SECONDS).
 */
export async function putWebhook(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const channel = ActionChannel.safeParse(event.pathParameters?.channel);
  if (!channel.success)
    throw new NotFoundError('No such channel: use one of webhook, web, mobile, store, email, sms, push.');
  const request = parseWith(PutWebhookRequest, readJsonBody(event, MAX_WEBHOOK_REQUEST_BYTES));
  const { tenant, revision } = await tenantOf(key);
  if (tenant.webhook === undefined) refuseIfMatchOnCreate(event);
  else requireFreshIfMatch(event, revision);
  const newSecret = tenant.webhook === undefined || request.rotateSecret;
  const webhook: Webhook = {
    url: request.url,
    secret: newSecret ? randomBytes(32).toString('hex') : (tenant.webhook?.secret ?? ''),
  };
  const urlChanges =
    tenant.webhook?.url === webhook.url
      ? []
      : [
          {
            path: 'url',
            ...(tenant.webhook === undefined ? {} : { from: tenant.webhook.url }),
            to: webhook.url,
          },
        ];
  const next = await putTenantIfUnchanged({ ...tenant, webhook }, revision, {
    resource: `webhook:${channel.data}`,
    action: tenant.webhook === undefined ? 'created' : newSecret ? 'secret_rotated' : 'updated',
    at: now.toISOString(),
    by: key.keyId,
    // Never the secret itself: only that it changed.
    changes: newSecret ? [...urlChanges, { path: 'secret', to: `…${webhook.secret.slice(-4)}` }] : urlChanges,
  });
  return jsonResponse(
    tenant.webhook === undefined ? 201 : 200,
    asResource(channel.data, webhook, newSecret),
    {
      etag: etagOf(next),
      'cache-control': 'no-store',
    },
  );
}
