import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PutWebhookRequest, type WebhookResource } from '../../schemas/config-api.js';
import { ActionChannel } from '../../schemas/journey.js';
import type { Webhook } from '../../schemas/tenant.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { env } from '../adapters/env.js';
import { getTenantWithRevision, putTenantIfUnchanged } from '../adapters/tenant-config-store.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { webhooksOf, withChannelWebhook } from '../core/tenant-webhooks.js';
import { checkWebhookUrl } from '../core/webhook-url-safety.js';
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
  const configured = webhooksOf(tenant);
  const webhooks = ActionChannel.options.flatMap((channel) => {
    const webhook = configured[channel];
    return webhook === undefined ? [] : [asResource(channel, webhook, false)];
  });
  return jsonResponse(200, { webhooks }, { etag: etagOf(revision) });
}

/** Refuses a URL the SSRF rules forbid (422 `unsafe_webhook_url` at `url`), changing nothing. */
function refuseUnsafeUrl(url: string): void {
  const verdict = checkWebhookUrl(url, { allowPrivate: env().ALLOW_PRIVATE_WEBHOOKS });
  if (verdict.safe) return;
  const message = `This webhook URL is refused: ${verdict.reason}.`;
  throw new InvalidInputError(
    'unsafe_webhook_url',
    message,
    [{ code: 'unsafe_webhook_url', path: 'url', message }],
    422,
  );
}

/**
 * PUT /v1/webhooks/{channel}: sets where the channel's actions are pushed (the `webhook`
 * channel's also receives the actions of channels without their own). The first secret of a
 * channel and every rotation are shown once. A rotation takes effect at once: receivers should
 * accept the old and new secret for a few minutes (warm functions cache config for
 * CONFIG_CACHE_SECONDS). URLs that could reach private networks or metadata services are refused.
 */
export async function putWebhook(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const channel = ActionChannel.safeParse(event.pathParameters?.channel);
  if (!channel.success)
    throw new NotFoundError(`No such channel: use one of ${ActionChannel.options.join(', ')}.`);
  const request = parseWith(PutWebhookRequest, readJsonBody(event, MAX_WEBHOOK_REQUEST_BYTES));
  refuseUnsafeUrl(request.url);
  const { tenant, revision } = await tenantOf(key);
  const current = webhooksOf(tenant)[channel.data];
  if (current === undefined) refuseIfMatchOnCreate(event);
  else requireFreshIfMatch(event, revision);
  const newSecret = current === undefined || request.rotateSecret;
  const webhook: Webhook = {
    url: request.url,
    secret: newSecret ? randomBytes(32).toString('hex') : (current?.secret ?? ''),
  };
  const urlChanges =
    current?.url === webhook.url
      ? []
      : [{ path: 'url', ...(current === undefined ? {} : { from: current.url }), to: webhook.url }];
  const next = await putTenantIfUnchanged(withChannelWebhook(tenant, channel.data, webhook), revision, {
    resource: `webhook:${channel.data}`,
    action: current === undefined ? 'created' : newSecret ? 'secret_rotated' : 'updated',
    at: now.toISOString(),
    by: key.keyId,
    // Never the secret itself: only that it changed.
    changes: newSecret ? [...urlChanges, { path: 'secret', to: `…${webhook.secret.slice(-4)}` }] : urlChanges,
  });
  return jsonResponse(current === undefined ? 201 : 200, asResource(channel.data, webhook, newSecret), {
    etag: etagOf(next),
    'cache-control': 'no-store',
  });
}
