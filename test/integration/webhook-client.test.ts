import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { postToWebhook, type Resolver } from '../../lambdas/adapters/webhook-client.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/** Real sockets on loopback, no AWS: the HTTP adapter's SSRF and redirect behaviour. */
const receivers: Awaited<ReturnType<typeof startWebhookReceiver>>[] = [];
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function receiver() {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

const secret = 'a-secret-of-sixteen-chars';
const now = new Date();
const portOf = (url: string) => new URL(url).port;
/** A DNS answer of our choosing for any name: what a hostile name server could say. */
const resolvingTo =
  (...addresses: string[]): Resolver =>
  (_hostname, callback) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

describe('posting to a webhook', () => {
  it('refuses, after resolving it, a public-looking name whose address is loopback', async () => {
    const hook = await receiver();
    const url = `http://hooks.example.test:${portOf(hook.url)}/x`;
    const result = await postToWebhook({ url, secret }, '{}', 'key-1', now, {
      timeoutMs: 2_000,
      allowPrivate: false,
      resolve: resolvingTo('127.0.0.1'),
    });
    // http alone is refused outside local development; try https so the address rule speaks.
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('unsafe webhook URL') });

    const overHttps = await postToWebhook(
      { url: `https://hooks.example.test:${portOf(hook.url)}/x`, secret },
      '{}',
      'key-1',
      now,
      { timeoutMs: 2_000, allowPrivate: false, resolve: resolvingTo('93.184.215.14', '127.0.0.1') },
    );
    expect(overHttps).toEqual({
      ok: false,
      reason: 'unsafe webhook address: 127.0.0.1 is a private, loopback or reserved address',
    });
    expect(hook.requests).toHaveLength(0);
  });

  it('connects to the address its own lookup checked (local development allows loopback)', async () => {
    const hook = await receiver();
    const url = `http://hooks.example.test:${portOf(hook.url)}/x`;
    const result = await postToWebhook({ url, secret }, '{"a":1}', 'key-2', now, {
      timeoutMs: 2_000,
      allowPrivate: true,
      resolve: resolvingTo('127.0.0.1'),
    });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(hook.requests.map((request) => request.body)).toEqual(['{"a":1}']);
  });

  it('never connects to the metadata address, even in local development', async () => {
    const result = await postToWebhook({ url: 'http://hooks.example.test/x', secret }, '{}', 'key-3', now, {
      timeoutMs: 2_000,
      allowPrivate: true,
      resolve: resolvingTo('169.254.169.254'),
    });
    expect(result).toEqual({
      ok: false,
      reason: 'unsafe webhook address: 169.254.169.254 is a link-local or cloud metadata address',
    });
  });

  it('refuses literal private addresses in AWS before any connection', async () => {
    const hook = await receiver();
    for (const host of ['127.0.0.1', '2130706433', '0x7f.1', '[::ffff:127.0.0.1]']) {
      const result = await postToWebhook(
        { url: `https://${host}:${portOf(hook.url)}/x`, secret },
        '{}',
        'key-4',
        now,
        { timeoutMs: 2_000, allowPrivate: false },
      );
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('unsafe webhook URL') });
    }
    expect(hook.requests).toHaveLength(0);
  });

  it('does not follow a redirect: it is a failed attempt, and the target hears nothing', async () => {
    const target = await receiver();
    const redirecting = createServer((_request, response) =>
      response.writeHead(307, { location: target.url }).end(),
    );
    servers.push(redirecting);
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const address = redirecting.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const result = await postToWebhook({ url: `http://127.0.0.1:${port}/x`, secret }, '{}', 'key-5', now, {
      timeoutMs: 2_000,
      allowPrivate: true,
    });
    expect(result).toEqual({ ok: false, reason: 'webhook answered HTTP 307' });
    expect(target.requests).toHaveLength(0);
  });
});
