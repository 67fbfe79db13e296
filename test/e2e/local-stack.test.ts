import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../lambdas/core/webhook-signature.js';
import { ActionsResponse } from '../../schemas/action.js';
import { CustomerProfileResponse } from '../../schemas/customer-api.js';
import { DecideResponse } from '../../schemas/decision-api.js';
import { MyConsentResponse, MyDecisionsResponse, PrivacyKeyResource } from '../../schemas/privacy.js';
import { type LocalStack, startLocalStack } from '../../scripts/local/local-stack.js';
import { deleteResources, type FreshResources, freshResources } from '../integration/support/resources.js';
import { eventually, startWebhookReceiver } from '../integration/support/webhook-receiver.js';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe('the local stack, end to end: HTTP event in, signed webhook out', () => {
  let resources: FreshResources;
  let receiver: Receiver;
  let stack: LocalStack;
  const secret = randomBytes(24).toString('hex');
  const auth = () => `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
  const track = (body: unknown) =>
    fetch(`${stack.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    resources = await freshResources('e2e');
    receiver = await startWebhookReceiver();
    stack = await startLocalStack({
      port: 0,
      aws: { external: true },
      names: resources,
      demo: { webhookUrl: receiver.url, webhookSecret: secret },
      dataDir: mkdtempSync(path.join(tmpdir(), 'ecoute-e2e-')),
      sweepIntervalMs: 200,
      print: () => undefined,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
    await deleteResources(resources);
  });

  it('turns a matching event into one signed webhook call and a delivered action', async () => {
    const response = await track({
      userId: 'claire@example.com',
      event: 'Product Viewed',
      messageId: 'msg-e2e-1',
      properties: { category: 'shoes', sku: 'SH-42' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, accepted: 1 });

    const [delivery] = await eventually(() => (receiver.requests.length > 0 ? receiver.requests : undefined));
    const body = JSON.parse(delivery?.body ?? '{}');
    expect(body).toMatchObject({
      tenantId: stack.tenantId,
      customerId: 'claire@example.com',
      journeyId: 'shoes-try-in-store',
      action: 'reserve-in-store',
      triggeredBy: { messageId: 'msg-e2e-1', event: 'Product Viewed' },
    });
    expect(delivery?.headers['idempotency-key']).toBe(body.actionId);
    const signature = String(delivery?.headers['ecoute-signature']);
    expect(
      verifyWebhookSignature(secret, delivery?.body ?? '', signature, Math.floor(Date.now() / 1_000)),
    ).toBe(true);

    const actions = await eventually(async () => {
      const listed = await fetch(
        `${stack.url}/v1/customers/${encodeURIComponent('claire@example.com')}/actions`,
        {
          headers: { authorization: auth() },
        },
      );
      const parsed = ActionsResponse.parse(await listed.json());
      return parsed.actions[0]?.delivery.status === 'delivered' ? parsed.actions : undefined;
    });
    expect(actions).toHaveLength(1);
    expect(actions[0]?.actionId).toBe(body.actionId);
  });

  it('applies an event the SDK sent twice only once', async () => {
    const event = {
      userId: 'marc',
      event: 'Order Completed',
      messageId: 'order-77',
      properties: { total: 180 },
    };
    expect((await track(event)).status).toBe(200);
    expect((await track(event)).status).toBe(200);
    await eventually(() =>
      receiver.requests.some((request) => request.body.includes('"customerId":"marc"')) ? true : undefined,
    );
    // Give a duplicate every chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const forMarc = receiver.requests.filter((request) => request.body.includes('"customerId":"marc"'));
    expect(forMarc).toHaveLength(1);
  });

  it('waits, then fires the reminder through the sweeper and the stream; a purchase during the wait ends the journey', async () => {
    const abandon = (userId: string) =>
      track({ userId, event: 'Cart Abandoned', properties: { total: 64 }, messageId: `cart-${userId}` });
    const forCustomer = (userId: string) =>
      receiver.requests.filter((request) => request.body.includes(`"customerId":"${userId}"`));
    expect((await abandon('hesitant')).status).toBe(200);
    expect((await abandon('decided')).status).toBe(200);
    expect(
      (await track({ userId: 'decided', event: 'Order Completed', properties: { total: 64 } })).status,
    ).toBe(200);

    // Nothing during the 5 s wait…
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(forCustomer('hesitant')).toHaveLength(0);
    // …then the reminder, once, with the empty payload intact.
    const [reminder] = await eventually(
      () => (forCustomer('hesitant').length > 0 ? forCustomer('hesitant') : undefined),
      20_000,
    );
    expect(JSON.parse(reminder?.body ?? '{}')).toMatchObject({
      action: 'cart-reminder',
      journeyId: 'abandoned-cart',
      payload: {},
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(forCustomer('hesitant')).toHaveLength(1);
    // The customer who bought left the journey: no reminder.
    expect(forCustomer('decided')).toHaveLength(0);
    // Delivered by the dispatcher from the table's stream, not by the 60 s safety net.
    const actions = await fetch(`${stack.url}/v1/customers/hesitant/actions`, {
      headers: { authorization: auth() },
    });
    expect(ActionsResponse.parse(await actions.json()).actions[0]?.delivery).toMatchObject({
      status: 'delivered',
      attempts: 1,
    });
  });

  it('answers 401 to a wrong write key and 400 with the field path to a bad event, writing nothing', async () => {
    const wrongKey = await fetch(`${stack.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` },
      body: JSON.stringify({ userId: 'x', event: 'Product Viewed', properties: { category: 'shoes' } }),
    });
    expect(wrongKey.status).toBe(401);
    expect(((await wrongKey.json()) as { code: string }).code).toBe('unauthorized');

    const invalid = await track({ event: 'Product Viewed', properties: { category: 'shoes' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'invalid_request', path: 'userId' });

    const unknownRoute = await fetch(`${stack.url}/v1/nothing-here`);
    expect(unknownRoute.status).toBe(404);
  });

  it("answers the demo tenant's seeded offers through the local gateway, rendered with traits and defaults", async () => {
    const decide = async (customerId: string, channel: string, placement: string) => {
      const answer = await fetch(
        `${stack.url}/v1/decide?customerId=${customerId}&channel=${channel}&placement=${placement}`,
        { headers: { authorization: auth() } },
      );
      expect(answer.status).toBe(200);
      return DecideResponse.parse(await answer.json());
    };
    // Never seen: the newsletter offer, its template rendered with its default.
    const stranger = await decide('first-visit', 'web', 'home-hero');
    expect(stranger.decision).toMatchObject({
      action: 'newsletter-signup',
      channel: 'web',
      content: { title: 'Welcome, 10% off your first order with our newsletter', cta: 'Subscribe' },
    });
    // Seen in a store lately: the store-pickup offer outranks it.
    const identify = await fetch(`${stack.url}/v1/identify`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        userId: 'marc',
        traits: {
          firstName: 'Marc',
          storeName: 'Lyon Part-Dieu',
          lastStoreVisitAt: new Date().toISOString(),
        },
      }),
    });
    expect(identify.status).toBe(200);
    const regular = await eventually(async () => {
      const answer = await decide('marc', 'web', 'home-hero');
      return answer.decision?.action === 'store-pickup' ? answer : undefined;
    });
    expect(regular.decision?.content).toEqual({
      title: 'Marc, order online and pick up at Lyon Part-Dieu',
      cta: 'Find it in store',
    });
    // The store associate's app: clienteling on the store channel.
    const clienteling = await decide('marc', 'store', 'clienteling');
    expect(clienteling.decision).toMatchObject({
      action: 'clienteling-shoes',
      channel: 'store',
      content: { message: 'Marc was browsing shoes online and is in your store', shoeSize: 'unknown' },
    });
  });

  it('answers the decision API through the local gateway: an offer configured over HTTP, rendered for a known customer', async () => {
    const admin = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };
    // The demo tenant's settings grant personalization by default (config/demo.json); a
    // placement of its own keeps this offer apart from the seeded home-hero offers.
    const offer = await fetch(`${stack.url}/v1/actions/welcome-back`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({
        name: 'Welcome back',
        purpose: 'personalization',
        channels: ['web'],
        placements: ['account-banner'],
        content: { title: 'Welcome back, {{ traits.firstName | default: "friend" }}' },
      }),
    });
    expect(offer.status, await offer.text()).toBeLessThan(300);
    const identify = await fetch(`${stack.url}/v1/identify`, {
      method: 'POST',
      headers: { authorization: auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'ines', traits: { firstName: 'Inès' } }),
    });
    expect(identify.status).toBe(200);
    const decide = async () => {
      const answer = await fetch(
        `${stack.url}/v1/decide?customerId=ines&channel=web&placement=account-banner`,
        {
          headers: { authorization: auth() },
        },
      );
      expect(answer.status).toBe(200);
      return DecideResponse.parse(await answer.json());
    };
    const shown = await eventually(async () => {
      const answer = await decide();
      return answer.decision?.content.title === 'Welcome back, Inès' ? answer : undefined;
    });
    expect(shown.decision).toMatchObject({ action: 'welcome-back', channel: 'web' });
    const badChannel = await fetch(`${stack.url}/v1/decide?customerId=ines&channel=fax&placement=home-hero`, {
      headers: { authorization: auth() },
    });
    expect(badChannel.status).toBe(400);
    expect(await badChannel.json()).toMatchObject({ code: 'invalid_request', path: 'query.channel' });
  });

  it('lets a customer read their profile, withdraw marketing and read their decisions with a token their business signed', async () => {
    const admin = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${stack.url}/v1/privacy-keys`, { method: 'POST', headers: admin });
    expect(created.status).toBe(201);
    const { kid, secret: keySecret } = PrivacyKeyResource.parse(await created.json());
    // The tenant's backend signs the token as any JWT library would: HS256, its kid in the header.
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const iat = Math.floor(Date.now() / 1_000);
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid })}.${part({
      iss: 'ecoute-tenant',
      aud: 'ecoute-privacy',
      tid: stack.tenantId,
      sub: 'lea',
      iat,
      exp: iat + 600,
    })}`;
    const token = `${unsigned}.${createHmac('sha256', keySecret ?? '')
      .update(unsigned)
      .digest('base64url')}`;
    const me = (route: string, init: RequestInit = {}) =>
      fetch(`${stack.url}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const changeConsent = async (purposes: Record<string, 'granted' | 'denied'>) => {
      const response = await me('/v1/me/consent', { method: 'PUT', body: JSON.stringify({ purposes }) });
      expect(response.status, await response.clone().text()).toBe(202);
    };

    // Whatever the tenant's defaults are by now, Léa says yes, then browses shoes.
    await changeConsent({ analytics: 'granted', personalization: 'granted', marketing: 'granted' });
    const viewed = await track({
      userId: 'lea',
      event: 'Product Viewed',
      messageId: 'msg-e2e-lea',
      properties: { category: 'shoes' },
    });
    expect(viewed.status).toBe(200);

    const profile = await eventually(async () => {
      const response = await me('/v1/me');
      if (response.status !== 200) return undefined;
      const body = CustomerProfileResponse.parse(await response.json());
      return body.eventCount > 0 ? body : undefined;
    });
    expect(profile).toMatchObject({ customerId: 'lea', journeys: { 'shoes-try-in-store': { entries: 1 } } });

    const decisions = await eventually(async () => {
      const response = await me('/v1/me/decisions');
      expect(response.status).toBe(200);
      const listed = MyDecisionsResponse.parse(await response.json()).decisions;
      return listed.length > 0 ? listed : undefined;
    });
    expect(decisions[0]).toMatchObject({ action: 'reserve-in-store' });
    expect(decisions[0]?.explanation.length).toBeGreaterThan(10);
    // Plain words only: no scores, factors or propensities.
    expect(JSON.stringify(decisions)).not.toMatch(/score|propensity|factors/);

    await changeConsent({ marketing: 'denied' });
    const withdrawn = await eventually(async () => {
      const response = await me('/v1/me/consent');
      expect(response.status).toBe(200);
      const { consent } = MyConsentResponse.parse(await response.json());
      return consent?.purposes.marketing?.status === 'denied' ? consent : undefined;
    });
    expect(withdrawn.purposes.analytics?.status).toBe('granted');
  });
});
