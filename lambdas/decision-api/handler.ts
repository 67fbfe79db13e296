import { randomUUID } from 'node:crypto';
import { DecideQuery, DecideResponse } from '../../schemas/decision-api.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateWriteKey, parseWith } from '../http/request.js';
import { jsonResponse } from '../http/responses.js';
import { answerPull, type PullDependencies, REAL_PULL_DEPENDENCIES } from './answer-pull.js';

/**
 * Builds the decision API: `GET /v1/decide?customerId=…&channel=web&placement=…[&requestId=…]`
 * answers the best offer for that placement now, or `decision: null` with the reason, and counts
 * the offer shown against the customer's caps. Web pages and apps call it with the write key; a
 * server may use an API key with the `decide` scope. The answer is never cached by a browser:
 * each call is an impression.
 */
export function createDecisionHandler(
  dependencies: PullDependencies & { newRequestId: () => string } = {
    ...REAL_PULL_DEPENDENCIES,
    newRequestId: randomUUID,
  },
) {
  return httpHandler(async (event) => {
    const tenantId = await authenticateWriteKey(event, undefined, 'decide');
    const query = parseWith(DecideQuery, event.queryStringParameters ?? {}, ['query']);
    const answer = await answerPull(
      {
        tenantId,
        customerId: query.customerId,
        placement: query.placement,
        channel: query.channel,
        requestId: query.requestId ?? dependencies.newRequestId(),
      },
      dependencies,
    );
    return jsonResponse(200, DecideResponse.parse(answer), { 'cache-control': 'no-store' });
  });
}

export const handler = createDecisionHandler();
