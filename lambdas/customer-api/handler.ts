import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { ActionsResponse } from '../../schemas/action.js';
import { profileResponseOf } from '../../schemas/customer-api.js';
import { exportCustomer, listDecisions } from '../adapters/customer-records.js';
import { listActions, loadCustomerState } from '../adapters/customer-store.js';
import { requestErasure } from '../adapters/erasure-requests.js';
import { NotFoundError } from '../core/errors.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateApiKey, authenticateWriteKey, parseWith } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { getConsent, putConsent } from './consent.js';

const PathParameters = z.object({ customerId: z.string().min(1).max(300) });
const DecisionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2_000).optional(),
});

type Answer = (event: APIGatewayProxyEventV2, tenantId: string, customerId: string) => Promise<HttpResult>;

/**
 * Routes that take the write key (or an API key with `ingest`): reads, and consent changes
 * (docs/consent.md); export and erasure need the `privacy` scope.
 */
const READ_ROUTES: Record<string, Answer> = {
  'GET /v1/customers/{customerId}': async (_event, tenantId, customerId) => {
    const state = await loadCustomerState(tenantId, customerId);
    if (state === undefined) throw new NotFoundError('No customer by that id.');
    return jsonResponse(200, profileResponseOf(state));
  },
  'GET /v1/customers/{customerId}/actions': async (_event, tenantId, customerId) => {
    const response: ActionsResponse = { actions: await listActions(tenantId, customerId) };
    return jsonResponse(200, response);
  },
  'GET /v1/customers/{customerId}/consent': async (_event, tenantId, customerId) =>
    jsonResponse(200, await getConsent(tenantId, customerId)),
  // Consent comes from the business's consent platform, with the write key like events do.
  'PUT /v1/customers/{customerId}/consent': async (event, tenantId, customerId) =>
    jsonResponse(202, await putConsent(event, tenantId, customerId, new Date())),
  'GET /v1/customers/{customerId}/decisions': async (event, tenantId, customerId) => {
    const query = parseWith(DecisionsQuery, event.queryStringParameters ?? {}, ['queryStringParameters']);
    return jsonResponse(200, await listDecisions(tenantId, customerId, query));
  },
};

const PRIVACY_ROUTES: Record<string, Answer> = {
  'GET /v1/customers/{customerId}/export': async (_event, tenantId, customerId) =>
    jsonResponse(200, await exportCustomer(tenantId, customerId, new Date())),
  'DELETE /v1/customers/{customerId}': async (_event, tenantId, customerId) =>
    jsonResponse(202, await requestErasure(tenantId, customerId, 'business', new Date())),
};

/** The customer API's routes, for lambdas/http/routes.ts. */
export const CUSTOMER_ROUTE_KEYS = [...Object.keys(READ_ROUTES), ...Object.keys(PRIVACY_ROUTES)];

/**
 * Customer API, for the business: the profile (traits with the time each was set, groups,
 * channels, last store visit, journey progress), actions fired and decisions taken or suppressed
 * (newest first), the consent ledger with its history and consent changes, the GDPR export and
 * erasure. Anonymous visitors are `anon:<anonymousId>`. A
 * tenant only ever reads under its own keys, and an unknown customer is 404 whether or not
 * another tenant has one by that id; erasing an unknown customer is accepted (idempotent).
 */
export const handler = httpHandler(async (event) => {
  const privacyRoute = PRIVACY_ROUTES[event.routeKey];
  const route = privacyRoute ?? READ_ROUTES[event.routeKey];
  if (route === undefined) throw new NotFoundError('No such route.');
  const tenantId =
    privacyRoute === undefined
      ? await authenticateWriteKey(event)
      : (await authenticateApiKey(event, 'privacy', new Date())).tenantId;
  const { customerId } = parseWith(PathParameters, event.pathParameters ?? {}, ['pathParameters']);
  return route(event, tenantId, customerId);
});
