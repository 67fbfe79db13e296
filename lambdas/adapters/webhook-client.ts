import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Webhook } from '../../schemas/tenant.js';
import { SIGNATURE_HEADER, signWebhookBody } from '../core/webhook-signature.js';
import { checkWebhookAddress, checkWebhookUrl } from '../core/webhook-url-safety.js';

export type WebhookResult = { ok: true; status: number } | { ok: false; reason: string };

export interface PostOptions {
  timeoutMs: number;
  /** Local development only: http and private addresses allowed (see webhook-url-safety.ts). */
  allowPrivate: boolean;
  /** Resolves host names; tests substitute one to play a DNS answer. Defaults to the system's. */
  resolve?: Resolver;
}

export type Resolver = (
  hostname: string,
  callback: (error: Error | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) =>
  dnsLookup(hostname, { all: true }, (error, addresses) => callback(error, addresses ?? []));

class UnsafeWebhookAddressError extends Error {
  override name = 'UnsafeWebhookAddressError';
}

/**
 * A DNS lookup that checks every address the name resolves to and hands the socket only
 * checked ones, so the address checked is the address connected to (no DNS rebinding between
 * a check and the connection). Node calls it for host names only; IP literals are checked
 * with the URL.
 */
export function checkedLookup(allowPrivate: boolean, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (error, addresses) => {
      if (error !== null) return callback(error, '', 0);
      const refused = addresses
        .map((address) => checkWebhookAddress(address.address, { allowPrivate }))
        .find((verdict) => !verdict.safe);
      if (refused !== undefined && !refused.safe)
        return callback(new UnsafeWebhookAddressError(refused.reason), '', 0);
      if (options.all === true) return callback(null, addresses as never);
      const [first] = addresses;
      if (first === undefined) return callback(new Error(`no address for ${hostname}`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Keep-alive pools, one per mode so a socket opened under local rules is never reused under AWS rules. */
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, allowPrivate: boolean, resolve?: Resolver): http.Agent {
  const create = () => {
    const settings = { keepAlive: resolve === undefined, lookup: checkedLookup(allowPrivate, resolve) };
    return protocol === 'https:' ? new https.Agent(settings) : new http.Agent(settings);
  };
  // A substituted resolver gets an agent of its own, used once.
  if (resolve !== undefined) return create();
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = create();
    agents.set(key, agent);
  }
  return agent;
}

function reasonOf(error: Error, timeoutMs: number): string {
  if (error.name === 'UnsafeWebhookAddressError') return `unsafe webhook address: ${error.message}`;
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return `network error (${(error as NodeJS.ErrnoException).code ?? error.name})`;
}

/**
 * POSTs one JSON body to a webhook, signed, with the idempotency key that lets the receiver
 * drop a repeat. Any answer other than 2xx (redirects are not followed), a timeout, a network
 * error or an address the SSRF rules refuse is a failed attempt.
 */
export async function postToWebhook(
  webhook: Webhook,
  body: string,
  idempotencyKey: string,
  now: Date,
  options: PostOptions,
): Promise<WebhookResult> {
  const verdict = checkWebhookUrl(webhook.url, { allowPrivate: options.allowPrivate });
  if (!verdict.safe) return { ok: false, reason: `unsafe webhook URL: ${verdict.reason}` };
  const url = new URL(webhook.url);
  const transport = url.protocol === 'https:' ? https : http;
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent: agentFor(url.protocol, options.allowPrivate, options.resolve),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': idempotencyKey,
            'user-agent': 'ecoute-webhooks/1',
            [SIGNATURE_HEADER]: signWebhookBody(webhook.secret, body, Math.floor(now.getTime() / 1_000)),
          },
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        (response) => {
          // Drain the body so the connection can be reused; the status is all that counts.
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, reason: `webhook answered HTTP ${status}` };
  } catch (error) {
    return { ok: false, reason: reasonOf(error as Error, options.timeoutMs) };
  }
}
