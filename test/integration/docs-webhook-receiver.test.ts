import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import { sweepDueDeliveries } from '../../lambdas/sweeper/sweep-deliveries.js';
import { TenantSettings } from '../../schemas/config-api.js';
import type { ActionChannel } from '../../schemas/journey.js';
import { actionsSeenBy, fireCartReminder } from './support/actions.js';
import { pointAdaptersAt } from './support/adapters.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { CONSENTING_SETTINGS, cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { insertRecordOf } from './support/table-stream.js';

/**
 * The receiver of docs/webhooks.md, run as written: the code block after the `receiver-snippet`
 * marker is copied to a file and imported, so the documentation cannot drift from what works.
 */
interface DocsReceiver {
  isFromEcoute(secret: string, rawBody: string, header: string | undefined): boolean;
  ecouteReceiver(
    secret: string,
    apply: (action: unknown) => Promise<void> | void,
    applied?: Set<string>,
  ): Server;
}

function snippetOfTheDocs(): string {
  const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const block = /<!-- receiver-snippet[^>]*-->\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/webhooks.md has no receiver-snippet code block');
  return block;
}

let docs: DocsReceiver;
let resources: FreshResources;
const servers: Server[] = [];

beforeAll(async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ecoute-docs-')), 'receiver.mjs');
  writeFileSync(file, snippetOfTheDocs());
  docs = (await import(pathToFileURL(file).href)) as DocsReceiver;
  resources = await freshResources('docs-receiver');
  pointAdaptersAt(resources, {
    DELIVERY_BACKOFF_BASE_SECONDS: '0',
    DELIVERY_MAX_ATTEMPTS: '5',
    DELIVERY_TIMEOUT_MS: '2000',
    ALLOW_PRIVATE_WEBHOOKS: 'true',
  });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await deleteResources(resources);
  resetClientsForTests();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `http://127.0.0.1:${port}/ecoute`;
}

/** The docs' receiver, counting the effects it applies. */
async function docsReceiver(secret: string) {
  const effects: { actionId: string; channel: string }[] = [];
  const url = await listen(
    docs.ecouteReceiver(secret, (action) => {
      effects.push(action as { actionId: string; channel: string });
    }),
  );
  return { url, effects, secret };
}

const newSecret = () => `whsec_${randomUUID()}`;
/** The cart reminder of support/seed.ts, its action on `channel`. */
const journeyOn = (channel: ActionChannel) => ({
  id: 'cart-reminder',
  name: 'Cart reminder',
  status: 'published' as const,
  trigger: {
    event: 'cart_abandoned',
    conditions: [{ path: 'properties.total', op: 'gte' as const, value: 50 }],
  },
  action: { id: 'send-reminder', channel, payload: { template: 'cart-reminder-1' } },
});

/** Customers consent to the channels these journeys send on (decisioning checks channel consent). */
const SENDING_SETTINGS = TenantSettings.parse({
  consentDefaults: CONSENTING_SETTINGS.consentDefaults,
  channelConsentDefaults: { sms: true, email: true },
});

async function tenantWith(options: Parameters<typeof seedTenant>[0]) {
  return seedTenant({ settings: SENDING_SETTINGS, ...options });
}

async function deliverFirstAttempt(tenant: SeededTenant) {
  const fired = await fireCartReminder(resources.eventsStream, tenant);
  const insert = await insertRecordOf(resources.customersStreamArn, fired.key.sk);
  expect(await dispatcher({ Records: [insert] }, {} as Context)).toEqual({ batchItemFailures: [] });
  return fired;
}

async function statusOf(tenant: SeededTenant, customerId: string) {
  return (await actionsSeenBy(tenant, customerId))[0]?.delivery;
}

describe('a receiver written from docs/webhooks.md', () => {
  it('verifies the signature of real deliveries, and refuses a body signed with another secret', async () => {
    const hook = await docsReceiver(newSecret());
    const tenant = await tenantWith({
      tenantId: `docs-${randomUUID().slice(0, 8)}`,
      webhooks: { webhook: { url: hook.url, secret: hook.secret } },
      journeys: [cartReminder],
    });
    const { action, customerId } = await deliverFirstAttempt(tenant);
    expect(hook.effects).toEqual([expect.objectContaining({ actionId: action.actionId })]);
    expect(await statusOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 1 });

    // The same receiver, expecting another secret, answers 401: a failed attempt.
    const strict = await docsReceiver(newSecret());
    const other = await tenantWith({
      tenantId: `docs-${randomUUID().slice(0, 8)}`,
      webhooks: { webhook: { url: strict.url, secret: newSecret() } },
      journeys: [cartReminder],
    });
    const refused = await deliverFirstAttempt(other);
    expect(strict.effects).toEqual([]);
    expect(await statusOf(other, refused.customerId)).toMatchObject({
      status: 'retrying',
      lastError: 'webhook answered HTTP 401',
    });
    expect(docs.isFromEcoute(hook.secret, '{}', 't=1,v1=00')).toBe(false);
  });

  it('gets each channel’s actions at that channel’s webhook, signed with its secret, others at the webhook channel’s', async () => {
    const general = await docsReceiver(newSecret());
    const sms = await docsReceiver(newSecret());
    const tenant = await tenantWith({
      tenantId: `docs-${randomUUID().slice(0, 8)}`,
      webhooks: {
        webhook: { url: general.url, secret: general.secret },
        sms: { url: sms.url, secret: sms.secret },
      },
      journeys: [journeyOn('sms')],
      // Texts need an opt-in (docs/consent.md): this tenant's customers have it by default.
      settings: TenantSettings.parse({
        ...CONSENTING_SETTINGS,
        channelConsentDefaults: { sms: true, email: true },
      }),
    });
    await deliverFirstAttempt(tenant);
    expect(sms.effects).toEqual([expect.objectContaining({ channel: 'sms' })]);
    expect(general.effects).toEqual([]);

    const fallback = await tenantWith({
      tenantId: `docs-${randomUUID().slice(0, 8)}`,
      // Written as before webhooks per channel: read as the webhook channel's, the fallback.
      webhook: { url: general.url, secret: general.secret },
      journeys: [journeyOn('email')],
      settings: TenantSettings.parse({ ...CONSENTING_SETTINGS, channelConsentDefaults: { email: true } }),
    });
    await deliverFirstAttempt(fallback);
    expect(general.effects).toEqual([expect.objectContaining({ channel: 'email' })]);
  });

  it('applies an action exactly once when its answers are lost twice and Écoute retries', async () => {
    const hook = await docsReceiver(newSecret());
    // A gateway in front of the receiver that forwards each delivery but answers 502 to the
    // first two, as a load balancer timing out would: the receiver applied them already.
    let lost = 0;
    const seenKeys: string[] = [];
    const gateway = await listen(
      createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', async () => {
          seenKeys.push(String(request.headers['idempotency-key']));
          const forwarded = await fetch(hook.url, {
            method: 'POST',
            headers: request.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          });
          const status = lost < 2 ? 502 : forwarded.status;
          lost += 1;
          response.writeHead(status).end();
        });
      }),
    );
    const tenant = await tenantWith({
      tenantId: `docs-${randomUUID().slice(0, 8)}`,
      webhooks: { webhook: { url: gateway, secret: hook.secret } },
      journeys: [cartReminder],
    });
    const { action, customerId } = await deliverFirstAttempt(tenant);
    for (let round = 0; round < 5; round += 1) {
      if ((await statusOf(tenant, customerId))?.status === 'delivered') break;
      await sweepDueDeliveries(new Date());
    }
    expect(await statusOf(tenant, customerId)).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(seenKeys).toEqual([action.actionId, action.actionId, action.actionId]);
    expect(hook.effects).toEqual([expect.objectContaining({ actionId: action.actionId })]);
  });
});
