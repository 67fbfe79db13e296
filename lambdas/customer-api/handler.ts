import * as z from 'zod';
import type { ActionsResponse } from '../../schemas/action.js';
import { profileResponseOf } from '../../schemas/customer-api.js';
import { listActions, loadCustomerState } from '../adapters/customer-store.js';
import { NotFoundError } from '../core/errors.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateWriteKey, parseWith } from '../http/request.js';
import { jsonResponse } from '../http/responses.js';
import { getConsent, putConsent } from './consent.js';

const PathParameters = z.object({ customerId: z.string().min(1).max(300) });

/**
 * Customer API, for the business: `GET /v1/customers/{customerId}` (the profile: traits with
 * the time each was set, groups, channels, last store visit, journey progress) and
 * `GET /v1/customers/{customerId}/actions` (actions fired, newest first, for pull channels).
 * `GET` / `PUT /v1/customers/{customerId}/consent` read the consent ledger with its history and
 * record a consent change (lambdas/customer-api/consent.ts, docs/consent.md).
 * Anonymous visitors are `anon:<anonymousId>`. A tenant only ever reads under its own keys, and
 * an unknown customer is 404 whether or not another tenant has one by that id.
 */
export const handler = httpHandler(async (event) => {
  const tenantId = await authenticateWriteKey(event);
  const { customerId } = parseWith(PathParameters, event.pathParameters ?? {}, ['pathParameters']);
  if (event.routeKey.endsWith('/consent')) {
    if (event.routeKey.startsWith('PUT ')) {
      return jsonResponse(202, await putConsent(event, tenantId, customerId, new Date()));
    }
    return jsonResponse(200, await getConsent(tenantId, customerId));
  }
  if (event.routeKey.endsWith('/actions')) {
    const response: ActionsResponse = { actions: await listActions(tenantId, customerId) };
    return jsonResponse(200, response);
  }
  const state = await loadCustomerState(tenantId, customerId);
  if (state === undefined) throw new NotFoundError('No customer by that id.');
  return jsonResponse(200, profileResponseOf(state));
});
