import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { ConsentChange } from '../../schemas/consent.js';
import { profileResponseOf } from '../../schemas/customer-api.js';
import { MyConsentChangeRequest } from '../../schemas/privacy.js';
import { acceptConsentChange } from '../adapters/consent-changes.js';
import { exportCustomer, listDecisions } from '../adapters/customer-records.js';
import { loadCustomerState } from '../adapters/customer-store.js';
import { erasureStatus, requestErasure } from '../adapters/erasure-requests.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { customerViewOf } from '../core/privacy/plain-words.js';
import { httpHandler } from '../http/http-handler.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { authenticatePrivacyToken, type PrivacySubject } from './authenticate.js';

const MAX_CONSENT_BODY_BYTES = 8_192;
/** Decisions shown to the customer: the most recent ones, in plain words. */
const MY_DECISIONS_SHOWN = 100;
const ErasurePath = z.object({ erasureId: z.uuid() });

type Answer = (event: APIGatewayProxyEventV2, me: PrivacySubject, now: Date) => Promise<HttpResult>;

const ROUTES: Record<string, Answer> = {
  'GET /v1/me': async (_event, me) => {
    const state = await loadCustomerState(me.tenantId, me.customerId);
    if (state === undefined) throw new NotFoundError('We hold no profile for you.');
    return jsonResponse(200, profileResponseOf(state));
  },
  'GET /v1/me/consent': async (_event, me) => {
    const state = await loadCustomerState(me.tenantId, me.customerId);
    return jsonResponse(200, { consent: state?.consent ?? null });
  },
  'PUT /v1/me/consent': async (event, me, now) => {
    const request = parseWith(MyConsentChangeRequest, readJsonBody(event, MAX_CONSENT_BODY_BYTES));
    if (Object.keys(request.purposes ?? {}).length + Object.keys(request.channels ?? {}).length === 0)
      throw new InvalidInputError('empty_change', 'Name at least one purpose or channel.', [], 400);
    const change: ConsentChange = {
      purposes: request.purposes ?? {},
      channels: request.channels ?? {},
      // The customer's own request, proved by their token: decided now, through this API.
      at: now.toISOString(),
      source: 'privacy-api',
      ...(request.policyVersion === undefined ? {} : { policyVersion: request.policyVersion }),
    };
    return jsonResponse(202, await acceptConsentChange(me.tenantId, me.customerId, change, now));
  },
  'GET /v1/me/decisions': async (_event, me) => {
    const page = await listDecisions(me.tenantId, me.customerId, { limit: MY_DECISIONS_SHOWN });
    return jsonResponse(200, { decisions: page.decisions.map(customerViewOf) });
  },
  'GET /v1/me/export': async (_event, me, now) =>
    jsonResponse(200, await exportCustomer(me.tenantId, me.customerId, now)),
  'POST /v1/me/erasure': async (_event, me, now) =>
    jsonResponse(202, await requestErasure(me.tenantId, me.customerId, 'customer', now)),
  'GET /v1/me/erasure/{erasureId}': async (event, me) => {
    const { erasureId } = parseWith(ErasurePath, event.pathParameters ?? {}, ['pathParameters']);
    const status = await erasureStatus(me.tenantId, me.customerId, erasureId);
    if (status === undefined) throw new NotFoundError('No erasure with this id was asked for.');
    return jsonResponse(200, { erasureId, ...status });
  },
};

/** The privacy API's routes, for lambdas/http/routes.ts. */
export const PRIVACY_ROUTE_KEYS = Object.keys(ROUTES);

/**
 * Privacy API, for the customer themself (issue 5): their profile, consents, decisions in plain
 * words, export and erasure. Authenticated by a short-lived token the tenant signs for one
 * customer (lambdas/privacy-api/authenticate.ts); the customer is always the token's subject,
 * never a path parameter, so no request can reach another customer.
 */
export const handler = httpHandler(async (event) => {
  const answer = ROUTES[event.routeKey];
  if (answer === undefined) throw new NotFoundError('No such route.');
  const now = new Date();
  const me = await authenticatePrivacyToken(event, now);
  return answer(event, me, now);
});
