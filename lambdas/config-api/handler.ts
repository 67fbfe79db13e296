import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiKeyScope } from '../../schemas/api-key.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { consumeConfigWriteQuota } from '../adapters/config-write-quota.js';
import { NotFoundError } from '../core/errors.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateApiKey } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { listActions, putAction } from './action-catalog.js';
import { createKey, listKeys, revokeKey, tenantAudit } from './api-keys.js';
import { getDocument, putDocument } from './config-documents.js';
import {
  changeStatus,
  getJourney,
  getJourneyAudit,
  listJourneys,
  publishJourney,
  saveDraft,
  simulate,
} from './journeys.js';
import { openApiDocument } from './openapi-document.js';
import * as privacyKeys from './privacy-keys.js';
import { listWebhooks, putWebhook } from './webhooks.js';

type Answer = (event: APIGatewayProxyEventV2, key: AuthenticatedKey, now: Date) => Promise<HttpResult>;

/** Each config route, the scope it needs and what answers it. */
const ROUTES: Record<string, { scope: ApiKeyScope; answer: Answer }> = {
  'POST /v1/api-keys': { scope: 'admin', answer: createKey },
  'GET /v1/api-keys': { scope: 'admin', answer: (_event, key) => listKeys(key) },
  'DELETE /v1/api-keys/{keyId}': { scope: 'admin', answer: revokeKey },
  'GET /v1/audit': { scope: 'admin', answer: (_event, key) => tenantAudit(key) },
  'GET /v1/journeys': { scope: 'config:read', answer: (_event, key) => listJourneys(key) },
  'GET /v1/journeys/{journeyId}': { scope: 'config:read', answer: getJourney },
  'PUT /v1/journeys/{journeyId}': { scope: 'config:write', answer: saveDraft },
  'GET /v1/journeys/{journeyId}/audit': { scope: 'config:read', answer: getJourneyAudit },
  'POST /v1/journeys/{journeyId}/publish': { scope: 'config:write', answer: publishJourney },
  'POST /v1/journeys/{journeyId}/pause': {
    scope: 'config:write',
    answer: (event, key, now) => changeStatus(event, key, now, 'pause'),
  },
  'POST /v1/journeys/{journeyId}/resume': {
    scope: 'config:write',
    answer: (event, key, now) => changeStatus(event, key, now, 'resume'),
  },
  'POST /v1/journeys/{journeyId}/archive': {
    scope: 'config:write',
    answer: (event, key, now) => changeStatus(event, key, now, 'archive'),
  },
  'POST /v1/journeys/{journeyId}/simulate': {
    scope: 'config:read',
    answer: (event, key) => simulate(event, key),
  },
  'GET /v1/actions': { scope: 'config:read', answer: (_event, key) => listActions(key) },
  'PUT /v1/actions/{actionId}': { scope: 'config:write', answer: putAction },
  'GET /v1/settings': { scope: 'config:read', answer: (_event, key) => getDocument('settings', key) },
  'PUT /v1/settings': {
    scope: 'admin',
    answer: (event, key, now) => putDocument('settings', event, key, now),
  },
  'GET /v1/caps': { scope: 'config:read', answer: (_event, key) => getDocument('caps', key) },
  'PUT /v1/caps': {
    scope: 'config:write',
    answer: (event, key, now) => putDocument('caps', event, key, now),
  },
  'GET /v1/webhooks': { scope: 'config:read', answer: (_event, key) => listWebhooks(key) },
  'PUT /v1/webhooks/{channel}': { scope: 'admin', answer: putWebhook },
  'POST /v1/privacy-keys': { scope: 'admin', answer: privacyKeys.createKey },
  'GET /v1/privacy-keys': { scope: 'admin', answer: (_event, key) => privacyKeys.listKeys(key) },
  'DELETE /v1/privacy-keys/{kid}': { scope: 'admin', answer: privacyKeys.revokeKey },
};

/** The config routes, for lambdas/http/routes.ts and the OpenAPI test. */
export const CONFIG_ROUTE_KEYS = Object.keys(ROUTES);

/**
 * Config API, for marketers and their scripts: API keys, journeys with their draft → publish
 * lifecycle, validation, audit and dry run; `GET /v1/openapi.json` (no key) describes every route.
 * Authenticated with an API key (`Authorization: Bearer`), each route checking its scope.
 */
export const handler = httpHandler(async (event) => {
  if (event.routeKey === 'GET /v1/openapi.json') return jsonResponse(200, openApiDocument());
  const route = ROUTES[event.routeKey];
  if (route === undefined) throw new NotFoundError('No such route.');
  const now = new Date();
  const key = await authenticateApiKey(event, route.scope, now);
  // Changes count against the tenant's writes per minute; a dry run writes nothing, not even that.
  const changes = event.requestContext.http.method !== 'GET' && !event.routeKey.endsWith('/simulate');
  if (changes) await consumeConfigWriteQuota(key.tenantId, now);
  return route.answer(event, key, now);
});
