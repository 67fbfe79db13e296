import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { dynamo } from '../../lambdas/adapters/aws-clients.js';
import { loadPublishedJourneys, loadTenant } from '../../lambdas/adapters/config-store.js';
import { handler as configApi } from '../../lambdas/config-api/handler.js';
import { webhooksOf } from '../../lambdas/core/tenant-webhooks.js';
import type { ApiKeyScope } from '../../schemas/api-key.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { cartReminder, seedTenant } from './support/seed.js';

let resources: FreshResources;
let acmeAdmin: string;
let globexAdmin: string;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  etag: string | undefined;
}

async function call(
  routeKey: string,
  key: string | undefined,
  options: { path?: Record<string, string>; body?: unknown; ifMatch?: string } = {},
): Promise<Answer> {
  const result = (await configApi(
    httpEvent(routeKey, {
      ...(options.path === undefined ? {} : { pathParameters: options.path }),
      ...(options.body === undefined ? {} : { body: options.body }),
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
      },
    }),
    {} as Context,
  )) as { statusCode: number; body: string; headers?: Record<string, string> };
  return { status: result.statusCode, body: JSON.parse(result.body), etag: result.headers?.etag };
}

const keyWith = async (tenantId: string, scopes: ApiKeyScope[]) =>
  (await createApiKey(tenantId, { name: scopes.join('+'), scopes }, 'test', new Date())).key;

const draft = {
  name: 'Cart reminder',
  entry: { kind: 'event', event: 'Cart Abandoned' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', duration: '2h', next: 'remind' },
    remind: { type: 'action', action: { id: 'send-reminder', payload: { template: 'cart-1' } } },
  },
  goal: { event: 'Order Completed', within: '3d' },
};

const webhook = { url: 'https://hooks.example.com/ecoute', secret: 'a-secret-of-sixteen-chars' };

beforeAll(async () => {
  resources = await freshResources('config-api');
  pointAdaptersAt(resources, { CONFIG_WRITES_PER_MINUTE: '100000' });
  await seedTenant({ tenantId: 'acme', webhook, settings: null });
  await seedTenant({ tenantId: 'globex', webhook, settings: null });
  acmeAdmin = await keyWith('acme', ['admin']);
  globexAdmin = await keyWith('globex', ['admin']);
});
afterAll(async () => deleteResources(resources));

describe('API keys', () => {
  it('shows a new key once, lists it without the secret, stores only its hash and refuses it once revoked', async () => {
    const created = await call('POST /v1/api-keys', acmeAdmin, {
      body: { name: 'ci', scopes: ['config:read'] },
    });
    expect(created.status).toBe(201);
    const { key, keyId } = created.body as { key: string; keyId: string };
    expect(key).toMatch(/^ek_/);

    const listed = await call('GET /v1/api-keys', acmeAdmin);
    const listedKey = (listed.body.keys as Record<string, unknown>[]).find((item) => item.keyId === keyId);
    expect(listedKey).toMatchObject({ name: 'ci', scopes: ['config:read'] });
    expect(listedKey).not.toHaveProperty('key');
    const table = await dynamo().send(new ScanCommand({ TableName: resources.configTable }));
    expect(JSON.stringify(table.Items)).not.toContain(key);

    expect((await call('GET /v1/journeys', key)).status).toBe(200);
    const afterUse = await call('GET /v1/api-keys', acmeAdmin);
    const used = (afterUse.body.keys as Record<string, unknown>[]).find((item) => item.keyId === keyId);
    expect(used?.lastUsedAt).toEqual(expect.any(String));

    expect((await call('DELETE /v1/api-keys/{keyId}', acmeAdmin, { path: { keyId } })).status).toBe(200);
    const refused = await call('GET /v1/journeys', key);
    expect(refused).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });

  it('answers 401 without a key or with an unknown one, 403 for a missing scope', async () => {
    expect((await call('GET /v1/journeys', undefined)).status).toBe(401);
    expect((await call('GET /v1/journeys', 'ek_nope')).status).toBe(401);
    const reader = await keyWith('acme', ['config:read']);
    const forbidden = await call('PUT /v1/journeys/{journeyId}', reader, {
      path: { journeyId: 'x' },
      body: draft,
    });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await call('POST /v1/api-keys', reader, { body: { name: 'x', scopes: ['admin'] } })).status).toBe(
      403,
    );
  });
});

describe('journeys: draft → published → paused ↔ published → archived', () => {
  it('publishes a numbered version the processor loads, pauses, resumes and archives it, with ETags', async () => {
    const path = { journeyId: 'cart-reminder' };
    const created = await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: draft });
    expect(created).toMatchObject({ status: 201, etag: '"1"', body: { status: 'draft', latestVersion: 0 } });
    expect((await loadPublishedJourneys('acme')).byVersion.size).toBe(0);

    // A write to an existing resource needs the ETag read: 428 without, 412 when stale.
    expect((await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: draft })).status).toBe(428);
    const edited = await call('PUT /v1/journeys/{journeyId}', acmeAdmin, {
      path,
      body: { ...draft, name: 'Cart reminder, 2h' },
      ifMatch: '"1"',
    });
    expect(edited).toMatchObject({ status: 200, etag: '"2"' });
    const stale = await call('POST /v1/journeys/{journeyId}/publish', acmeAdmin, { path, ifMatch: '"1"' });
    expect(stale).toMatchObject({ status: 412, body: { code: 'precondition_failed' } });

    const published = await call('POST /v1/journeys/{journeyId}/publish', acmeAdmin, {
      path,
      ifMatch: '"2"',
    });
    expect(published).toMatchObject({
      status: 200,
      etag: '"3"',
      body: { status: 'published', latestVersion: 1 },
    });
    const live = await loadPublishedJourneys('acme');
    expect(live.byTriggerEvent.get('Cart Abandoned')?.map((c) => c.journey.version)).toEqual([1]);

    const read = await call('GET /v1/journeys/{journeyId}', acmeAdmin, { path });
    expect(read.etag).toBe('"3"');
    expect(read.body.versions).toEqual([
      {
        version: 1,
        journey: expect.objectContaining({
          id: 'cart-reminder',
          name: 'Cart reminder, 2h',
          status: 'published',
        }),
      },
    ]);

    const paused = await call('POST /v1/journeys/{journeyId}/pause', acmeAdmin, { path, ifMatch: '"3"' });
    expect(paused.body.status).toBe('paused');
    expect((await loadPublishedJourneys('acme')).byTriggerEvent.get('Cart Abandoned')).toBeUndefined();
    expect(
      (await call('POST /v1/journeys/{journeyId}/pause', acmeAdmin, { path, ifMatch: '"4"' })).status,
    ).toBe(409);
    const resumed = await call('POST /v1/journeys/{journeyId}/resume', acmeAdmin, { path, ifMatch: '"4"' });
    expect(resumed.body.status).toBe('published');
    expect((await loadPublishedJourneys('acme')).byTriggerEvent.get('Cart Abandoned')).toHaveLength(1);

    const archived = await call('POST /v1/journeys/{journeyId}/archive', acmeAdmin, { path, ifMatch: '"5"' });
    expect(archived.body.status).toBe('archived');
    const afterArchive = await loadPublishedJourneys('acme');
    // No one new enters; instances already running finish on version 1, which stays loaded.
    expect(afterArchive.byTriggerEvent.get('Cart Abandoned')).toBeUndefined();
    expect(afterArchive.byVersion.has('cart-reminder@1')).toBe(true);
    expect(
      (await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: draft, ifMatch: '"6"' })).status,
    ).toBe(409);

    const audit = await call('GET /v1/journeys/{journeyId}/audit', acmeAdmin, { path });
    const entries = audit.body.entries as { action: string; by: string; changes: unknown[] }[];
    expect(entries.map((entry) => entry.action)).toEqual([
      'draft_saved',
      'draft_saved',
      'published',
      'paused',
      'resumed',
      'archived',
    ]);
    expect(entries[1]?.changes).toEqual([{ path: 'name', from: 'Cart reminder', to: 'Cart reminder, 2h' }]);
    expect(new Set(entries.map((entry) => entry.by)).size).toBe(1);
  });

  it('keeps an invalid draft, refuses to publish it with 422 and every mistake, and publishes nothing', async () => {
    const path = { journeyId: 'broken' };
    const broken = {
      ...draft,
      start: 'wiat',
      steps: { ...draft.steps, wait: { type: 'wait', duration: '10s', next: 'remind' } },
    };
    const saved = await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: broken });
    expect(saved.status).toBe(201);
    const refused = await call('POST /v1/journeys/{journeyId}/publish', acmeAdmin, { path, ifMatch: '"1"' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('invalid_journey');
    expect(refused.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'unknown_step', path: 'start' }),
        expect.objectContaining({ code: 'wait_too_short', path: 'steps.wait.duration' }),
      ]),
    );
    expect((await loadPublishedJourneys('acme')).byVersion.has('broken@1')).toBe(false);
    expect((await call('GET /v1/journeys/{journeyId}', acmeAdmin, { path })).etag).toBe('"1"');
  });
});

describe('a journey published before the config API', () => {
  it('is adopted on its first PUT: its versions count and the next publish is the next version', async () => {
    await seedTenant({ tenantId: 'pied-piper', webhook, journeys: [cartReminder] });
    const admin = await keyWith('pied-piper', ['admin']);
    const path = { journeyId: 'cart-reminder' };
    const adopted = await call('PUT /v1/journeys/{journeyId}', admin, { path, body: draft });
    expect(adopted.body).toMatchObject({ status: 'published', latestVersion: 1 });
    const published = await call('POST /v1/journeys/{journeyId}/publish', admin, {
      path,
      ifMatch: adopted.etag,
    });
    expect(published.body).toMatchObject({ status: 'published', latestVersion: 2 });
    const live = await loadPublishedJourneys('pied-piper');
    expect(live.byTriggerEvent.get('Cart Abandoned')?.map((c) => c.journey.version)).toEqual([2]);
    expect(live.byVersion.has('cart-reminder@1')).toBe(true);
  });
});

describe('tenant isolation', () => {
  it('answers 404, never 403, for every resource of another tenant', async () => {
    const path = { journeyId: 'globex-only' };
    await call('PUT /v1/journeys/{journeyId}', globexAdmin, { path, body: draft });
    const own = await call('GET /v1/api-keys', globexAdmin);
    const globexKeyId = String((own.body.keys as { keyId: string }[])[0]?.keyId);

    const acmeReader = await keyWith('acme', ['config:read']);
    for (const key of [acmeAdmin, acmeReader]) {
      expect((await call('GET /v1/journeys/{journeyId}', key, { path })).status).toBe(404);
      expect((await call('GET /v1/journeys/{journeyId}/audit', key, { path })).status).toBe(404);
      expect(
        (
          await call('POST /v1/journeys/{journeyId}/simulate', key, {
            path,
            body: { events: [{ at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned' }] },
          })
        ).status,
      ).toBe(404);
    }
    for (const verb of ['publish', 'pause', 'resume', 'archive'])
      expect(
        (await call(`POST /v1/journeys/{journeyId}/${verb}`, acmeAdmin, { path, ifMatch: '"1"' })).status,
      ).toBe(404);
    expect(
      (await call('DELETE /v1/api-keys/{keyId}', acmeAdmin, { path: { keyId: globexKeyId } })).status,
    ).toBe(404);
    const acmeList = await call('GET /v1/journeys', acmeAdmin);
    expect((acmeList.body.journeys as { id: string }[]).map((j) => j.id)).not.toContain('globex-only');
    // globex's key still works: acme revoked nothing of it.
    expect((await call('GET /v1/journeys/{journeyId}', globexAdmin, { path })).status).toBe(200);
  });
});

describe('POST /v1/journeys/{journeyId}/simulate', () => {
  it('runs the draft through the engine, timers included, and writes nothing', async () => {
    const path = { journeyId: 'simulated' };
    await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: draft });
    const scanAll = async () =>
      JSON.stringify([
        (await dynamo().send(new ScanCommand({ TableName: resources.configTable, ConsistentRead: true })))
          .Items,
        (await dynamo().send(new ScanCommand({ TableName: resources.customersTable, ConsistentRead: true })))
          .Items,
      ]);
    const before = await scanAll();
    const result = await call('POST /v1/journeys/{journeyId}/simulate', acmeAdmin, {
      path,
      body: {
        profile: { tier: 'gold' },
        // acme has no settings (opt-in): the customer's own consents let the journey run.
        consents: { analytics: true, marketing: true, email: true },
        events: [
          { at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned', properties: { total: 80 } },
          { at: '2026-11-01T15:00:00Z', event: 'Order Completed' },
        ],
      },
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      ran: 'draft',
      consents: { analytics: true, marketing: true, email: true },
      actions: [{ action: 'send-reminder', at: '2026-11-01T12:00:00.000Z', stepId: 'remind' }],
      timers: [{ dueAt: '2026-11-01T12:00:00.000Z', firedAt: '2026-11-01T12:00:00.000Z', cancelled: false }],
      goal: { reached: true, at: '2026-11-01T15:00:00Z' },
    });
    expect(await scanAll()).toBe(before);
  });
});

describe('POST /v1/journeys/{journeyId}/simulate with consents', () => {
  it("runs the tenant's consent policy and decisioning: a denied purpose suppresses the action, with the reason", async () => {
    const path = { journeyId: 'simulated-consent' };
    await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: draft });
    const run = (consents: Record<string, boolean>) =>
      call('POST /v1/journeys/{journeyId}/simulate', acmeAdmin, {
        path,
        body: {
          consents,
          events: [{ at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned', properties: { total: 80 } }],
        },
      });
    const denied = await run({ analytics: true, marketing: false });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({
      consents: { analytics: true, marketing: false },
      actions: [],
      suppressed: [{ stepId: 'remind', reason: expect.stringContaining('no_consent') }],
    });
    // The same run with marketing granted sends.
    const granted = await run({ analytics: true, marketing: true });
    expect(granted.body).toMatchObject({
      actions: [{ action: 'send-reminder', stepId: 'remind' }],
      suppressed: [],
    });
  });
});

describe('webhooks per channel', () => {
  it('needs a webhook before an action on its channel can be published; sets it, rotates its secret once shown', async () => {
    await seedTenant({ tenantId: 'initech' });
    const admin = await keyWith('initech', ['admin']);
    const path = { journeyId: 'hello' };
    await call('PUT /v1/journeys/{journeyId}', admin, { path, body: draft });
    const refused = await call('POST /v1/journeys/{journeyId}/publish', admin, { path, ifMatch: '"1"' });
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ code: 'channel_not_configured', path: 'steps.remind.action.channel' }),
    ]);

    const channel = { channel: 'webhook' };
    const created = await call('PUT /v1/webhooks/{channel}', admin, {
      path: channel,
      body: { url: 'https://hooks.initech.example/ecoute' },
    });
    expect(created.status).toBe(201);
    const firstSecret = String(created.body.secret);
    expect(firstSecret).toHaveLength(64);
    expect(webhooksOf((await loadTenant('initech')) ?? { webhook: undefined }).webhook).toEqual({
      url: 'https://hooks.initech.example/ecoute',
      secret: firstSecret,
    });
    expect(
      (await call('POST /v1/journeys/{journeyId}/publish', admin, { path, ifMatch: '"1"' })).status,
    ).toBe(200);

    const listed = await call('GET /v1/webhooks', admin);
    expect(listed.body.webhooks).toEqual([
      { channel: 'webhook', url: 'https://hooks.initech.example/ecoute', secretHint: firstSecret.slice(-4) },
    ]);
    const moved = { url: 'https://hooks2.initech.example/ecoute' };
    expect((await call('PUT /v1/webhooks/{channel}', admin, { path: channel, body: moved })).status).toBe(
      428,
    );
    const kept = await call('PUT /v1/webhooks/{channel}', admin, {
      path: channel,
      body: moved,
      ifMatch: listed.etag,
    });
    expect(kept.status).toBe(200);
    expect(kept.body.secret).toBeUndefined();
    expect(
      (await call('PUT /v1/webhooks/{channel}', admin, { path: channel, body: moved, ifMatch: listed.etag }))
        .status,
    ).toBe(412);
    const rotated = await call('PUT /v1/webhooks/{channel}', admin, {
      path: channel,
      body: { ...moved, rotateSecret: true },
      ifMatch: kept.etag,
    });
    expect(rotated.body.secret).not.toBe(firstSecret);
    expect(webhooksOf((await loadTenant('initech')) ?? {}).webhook?.secret).toBe(rotated.body.secret);
    expect(
      (await call('PUT /v1/webhooks/{channel}', admin, { path: { channel: 'fax' }, body: moved })).status,
    ).toBe(404);
    const reader = await keyWith('initech', ['config:read', 'config:write']);
    expect((await call('PUT /v1/webhooks/{channel}', reader, { path: channel, body: moved })).status).toBe(
      403,
    );
  });
});

describe('webhooks of several channels', () => {
  it('keeps one webhook and secret per channel, lists them all, and reads a legacy webhook as the webhook channel', async () => {
    // Written the way tenants were before webhooks per channel: one `webhook` field.
    await seedTenant({ tenantId: 'hooli-xyz', webhook });
    const admin = await keyWith('hooli-xyz', ['admin']);
    const before = await call('GET /v1/webhooks', admin);
    expect(before.body.webhooks).toEqual([
      { channel: 'webhook', url: webhook.url, secretHint: webhook.secret.slice(-4) },
    ]);

    const sms = await call('PUT /v1/webhooks/{channel}', admin, {
      path: { channel: 'sms' },
      body: { url: 'https://sms.hooli.example/ecoute' },
    });
    expect(sms.status).toBe(201);
    const listed = await call('GET /v1/webhooks', admin);
    expect(listed.body.webhooks).toEqual([
      { channel: 'webhook', url: webhook.url, secretHint: webhook.secret.slice(-4) },
      {
        channel: 'sms',
        url: 'https://sms.hooli.example/ecoute',
        secretHint: String(sms.body.secret).slice(-4),
      },
    ]);
    const stored = await loadTenant('hooli-xyz');
    expect(stored?.webhook).toBeUndefined();
    expect(stored?.webhooks).toEqual({
      webhook,
      sms: { url: 'https://sms.hooli.example/ecoute', secret: sms.body.secret },
    });

    const rotated = await call('PUT /v1/webhooks/{channel}', admin, {
      path: { channel: 'sms' },
      body: { url: 'https://sms.hooli.example/ecoute', rotateSecret: true },
      ifMatch: listed.etag,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(sms.body.secret);
    expect((await loadTenant('hooli-xyz'))?.webhooks?.webhook).toEqual(webhook);
  });

  it.each([
    ['http://hooks.example.com/x', 'plain http'],
    ['https://127.0.0.1/x', 'loopback'],
    ['https://2130706433/x', 'loopback written as a decimal number'],
    ['https://0x7f.1/x', 'loopback written in hex'],
    ['https://10.1.2.3/x', 'a private address'],
    ['https://169.254.169.254/latest/meta-data', 'the metadata address'],
    ['https://[::ffff:192.168.0.1]/x', 'an IPv4-mapped private address'],
    ['https://[fd00:ec2::254]/x', 'AWS metadata over IPv6'],
    ['https://metadata.google.internal/computeMetadata/v1', 'a metadata name'],
    ['https://localhost/x', 'localhost'],
  ])('refuses %s (%s) with 422 unsafe_webhook_url and stores nothing', async (url) => {
    await seedTenant({ tenantId: 'ssrf-probe', settings: null }); // once per case: no settings to write twice
    const admin = await keyWith('ssrf-probe', ['admin']);
    const refused = await call('PUT /v1/webhooks/{channel}', admin, {
      path: { channel: 'webhook' },
      body: { url },
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      code: 'unsafe_webhook_url',
      errors: [expect.objectContaining({ code: 'unsafe_webhook_url', path: 'url' })],
    });
    expect(webhooksOf((await loadTenant('ssrf-probe')) ?? {})).toEqual({});
  });
});

describe('the tenant audit', () => {
  it('records who created and revoked keys, changed webhooks and rotated secrets, never a secret', async () => {
    const initechAdmin = await keyWith('initech', ['admin']);
    const audit = await call('GET /v1/audit', initechAdmin);
    const entries = audit.body.entries as { resource: string; action: string; by: string }[];
    expect(entries.map((entry) => `${entry.resource.split(':')[0]} ${entry.action}`)).toEqual(
      expect.arrayContaining([
        'api-key created',
        'webhook created',
        'webhook updated',
        'webhook secret_rotated',
      ]),
    );
    const tenantItem = JSON.stringify(webhooksOf((await loadTenant('initech')) ?? {}).webhook);
    const secret = String(JSON.parse(tenantItem).secret);
    expect(JSON.stringify(entries)).not.toContain(secret);
    const acmeAudit = await call('GET /v1/audit', acmeAdmin);
    expect((acmeAudit.body.entries as { action: string }[]).some((entry) => entry.action === 'revoked')).toBe(
      true,
    );
    expect((await call('GET /v1/audit', await keyWith('initech', ['config:read']))).status).toBe(403);
  });
});

describe('the action catalog', () => {
  it('once a tenant has one, publishing refuses an action that is not in it', async () => {
    await seedTenant({ tenantId: 'umbrella', webhook });
    const admin = await keyWith('umbrella', ['admin']);
    const created = await call('PUT /v1/actions/{actionId}', admin, {
      path: { actionId: 'send-coupon' },
      body: { name: 'Send a coupon' },
    });
    expect(created).toMatchObject({
      status: 201,
      etag: '"1"',
      body: { id: 'send-coupon', channel: 'webhook' },
    });
    const edit = { name: 'Send a 10% coupon' };
    expect(
      (await call('PUT /v1/actions/{actionId}', admin, { path: { actionId: 'send-coupon' }, body: edit }))
        .status,
    ).toBe(428);
    expect(
      (
        await call('PUT /v1/actions/{actionId}', admin, {
          path: { actionId: 'send-coupon' },
          body: edit,
          ifMatch: '"1"',
        })
      ).etag,
    ).toBe('"2"');
    expect((await call('GET /v1/actions', admin)).body.actions).toEqual([
      expect.objectContaining({ id: 'send-coupon', name: 'Send a 10% coupon', revision: 2 }),
    ]);

    const path = { journeyId: 'uses-catalog' };
    await call('PUT /v1/journeys/{journeyId}', admin, { path, body: draft });
    const refused = await call('POST /v1/journeys/{journeyId}/publish', admin, { path, ifMatch: '"1"' });
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ code: 'unknown_action', path: 'steps.remind.action.id' }),
    ]);
    // Another tenant's catalog is its own: acme has none, so any action id goes there.
    expect((await call('GET /v1/actions', acmeAdmin)).body.actions).toEqual([]);
  });
});

describe('tenant settings and global caps', () => {
  it('validates, versions (ETag/If-Match) and keeps them per tenant', async () => {
    const defaults = await call('GET /v1/settings', acmeAdmin);
    expect(defaults).toMatchObject({ status: 200, etag: '"0"', body: { retentionDays: 395 } });
    const settings = {
      quietHours: { start: '21:00', end: '08:00' },
      consentDefaults: { email: false },
      retentionDays: 90,
    };
    const bad = await call('PUT /v1/settings', acmeAdmin, { body: { ...settings, retentionDays: 5 } });
    expect(bad).toMatchObject({ status: 400, body: { path: 'retentionDays' } });
    const saved = await call('PUT /v1/settings', acmeAdmin, { body: settings });
    expect(saved).toMatchObject({ status: 201, etag: '"1"', body: { retentionDays: 90 } });
    expect((await call('PUT /v1/settings', acmeAdmin, { body: settings })).status).toBe(428);
    expect((await call('PUT /v1/settings', acmeAdmin, { body: settings, ifMatch: '"0"' })).status).toBe(412);
    expect((await call('GET /v1/settings', globexAdmin)).body.retentionDays).toBe(395);

    const caps = { caps: [{ id: 'daily', max: 3, per: '1d' }] };
    expect((await call('PUT /v1/caps', acmeAdmin, { body: caps })).etag).toBe('"1"');
    const duplicate = await call('PUT /v1/caps', acmeAdmin, {
      body: { caps: [caps.caps[0], caps.caps[0]] },
      ifMatch: '"1"',
    });
    expect(duplicate.status).toBe(400);
    expect((await call('GET /v1/caps', acmeAdmin)).body).toEqual({
      caps: [{ id: 'daily', channel: 'all', max: 3, per: '1d' }],
    });
  });
});

describe('bad input', () => {
  it('answers 413 to a draft over 64 KB and 400 with the path to a malformed one, writing nothing', async () => {
    const path = { journeyId: 'too-big' };
    const huge = { ...draft, notes: 'x'.repeat(70_000) };
    expect(await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: huge })).toMatchObject({
      status: 413,
      body: { code: 'payload_too_large' },
    });
    expect(
      (await call('PUT /v1/journeys/{journeyId}', acmeAdmin, { path, body: '{"name":' })).body.code,
    ).toBe('malformed_json');
    const mismatched = await call('PUT /v1/journeys/{journeyId}', acmeAdmin, {
      path,
      body: { ...draft, id: 'other' },
    });
    expect(mismatched).toMatchObject({ status: 400, body: { path: 'id' } });
    expect((await call('GET /v1/journeys/{journeyId}', acmeAdmin, { path })).status).toBe(404);
    expect(
      (await call('GET /v1/journeys/{journeyId}', acmeAdmin, { path: { journeyId: 'Not A Slug' } })).status,
    ).toBe(400);
  });
});
