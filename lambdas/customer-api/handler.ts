import * as z from 'zod';
import type { ActionsResponse } from '../../schemas/action.js';
import { listActions } from '../adapters/customer-store.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateWriteKey, parseWith } from '../http/request.js';
import { jsonResponse } from '../http/responses.js';

const PathParameters = z.object({ customerId: z.string().min(1).max(300) });

/**
 * Customer API: `GET /v1/customers/{customerId}/actions`, the actions fired for one customer,
 * newest first, for pull channels. A tenant only ever reads under its own partition keys.
 */
export const handler = httpHandler(async (event) => {
  const tenantId = await authenticateWriteKey(event);
  const { customerId } = parseWith(PathParameters, event.pathParameters ?? {}, ['pathParameters']);
  const response: ActionsResponse = { actions: await listActions(tenantId, customerId) };
  return jsonResponse(200, response);
});
