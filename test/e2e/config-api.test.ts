import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.js';
import { deleteResources, type FreshResources, freshResources } from '../integration/support/resources.js';
import { eventually, startWebhookReceiver } from '../integration/support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe('the config API through the local stack: a journey written, published and run', () => {
  let resources: FreshResources;
  let receiver: Receiver;
  let stack: LocalStack;

  beforeAll(async () => {
    resources = await freshResources('e2e-config');
    receiver = await startWebhookReceiver();
    stack = await startLocalStack({
      port: 0,
      aws: { external: true },
      names: resources,
      demo: { webhookUrl: receiver.url, webhookSecret: randomBytes(24).toString('hex') },
      dataDir: mkdtempSync(path.join(tmpdir(), 'ecoute-e2e-config-')),
      sweepIntervalMs: 200,
      print: () => undefined,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
    await deleteResources(resources);
  });

  const config = (method: string, route: string, body?: unknown, ifMatch?: string) =>
    fetch(`${stack.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${stack.adminKey}`,
        'content-type': 'application/json',
        ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('creates a journey with the admin key, publishes it, and an event then reaches the webhook', async () => {
    // The demo tenant has an action catalog: a published journey's actions come from it.
    const action = await config('PUT', '/v1/actions/send-welcome', {
      name: 'Welcome email',
      channel: 'webhook',
    });
    expect(action.status, await action.text()).toBeLessThan(300);
    const created = await config('PUT', '/v1/journeys/welcome', {
      name: 'Welcome',
      entry: { kind: 'event', event: 'Newsletter Signed Up' },
      start: 'hello',
      steps: {
        hello: { type: 'action', action: { id: 'send-welcome', payload: { template: 'welcome-1' } } },
      },
    });
    expect(created.status).toBe(201);
    const published = await config(
      'POST',
      '/v1/journeys/welcome/publish',
      undefined,
      created.headers.get('etag') ?? '',
    );
    expect(published.status).toBe(200);
    expect(await published.json()).toMatchObject({ status: 'published', latestVersion: 1 });

    // The processor caches journeys for CONFIG_CACHE_SECONDS (1 s locally): send until it knows.
    await eventually(async () => {
      const tracked = await fetch(`${stack.url}/v1/track`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          userId: 'ines',
          event: 'Newsletter Signed Up',
          messageId: `signup-${Date.now()}`,
        }),
      });
      expect(tracked.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return receiver.requests.some((request) => request.body.includes('"send-welcome"')) ? true : undefined;
    });
    const delivery = receiver.requests.find((request) => request.body.includes('"send-welcome"'));
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      journeyId: 'welcome',
      journeyVersion: 1,
      customerId: 'ines',
      payload: { template: 'welcome-1' },
    });
  });

  it('creates and revokes a key over HTTP; a stale If-Match is 412 and a broken draft 422', async () => {
    const created = await config('POST', '/v1/api-keys', { name: 'reader', scopes: ['config:read'] });
    expect(created.status).toBe(201);
    const { key, keyId } = (await created.json()) as { key: string; keyId: string };
    const asReader = () => fetch(`${stack.url}/v1/journeys`, { headers: { authorization: `Bearer ${key}` } });
    expect((await asReader()).status).toBe(200);
    expect((await config('DELETE', `/v1/api-keys/${keyId}`)).status).toBe(200);
    // Warm functions cache keys for CONFIG_CACHE_SECONDS (1 s locally).
    await eventually(async () => ((await asReader()).status === 401 ? true : undefined));

    const draft = await config('PUT', '/v1/journeys/broken', {
      name: 'Broken',
      entry: { kind: 'event', event: 'X' },
      start: 'nowhere',
      steps: { a: { type: 'exit' } },
    });
    expect((await config('POST', '/v1/journeys/broken/publish', undefined, '"999"')).status).toBe(412);
    const refused = await config(
      'POST',
      '/v1/journeys/broken/publish',
      undefined,
      draft.headers.get('etag') ?? '',
    );
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ code: 'invalid_journey', path: 'start' });
  });

  it('serves the OpenAPI document without a key', async () => {
    const response = await fetch(`${stack.url}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ openapi: '3.1.0' });
  });
});
