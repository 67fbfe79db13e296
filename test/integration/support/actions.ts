import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { expect } from 'vitest';
import { actionSortKey, customerPartition } from '../../../lambdas/adapters/customer-store.js';
import type { ActionIntent } from '../../../lambdas/core/engine.js';
import { handler as customerApi } from '../../../lambdas/customer-api/handler.js';
import type { HttpResult } from '../../../lambdas/http/responses.js';
import { handler as ingest } from '../../../lambdas/ingest/handler.js';
import { handler as processor } from '../../../lambdas/processor/handler.js';
import type { Action } from '../../../schemas/action.js';
import { httpEvent } from './http-events.js';
import type { SeededTenant } from './seed.js';
import { recordsOfCustomers } from './stream-events.js';

/** What the tenant reads from the customer API: `GET /v1/customers/{customerId}/actions`. */
export async function actionsSeenBy(tenant: SeededTenant, customerId: string): Promise<Action[]> {
  const response = (await customerApi(
    httpEvent('GET /v1/customers/{customerId}/actions', {
      writeKey: tenant.writeKey,
      pathParameters: { customerId },
    }),
    {} as Context,
  )) as HttpResult;
  expect(response.statusCode).toBe(200);
  return JSON.parse(String(response.body)).actions;
}

/**
 * A customer abandons a cart (the tenant runs `cartReminder`): ingest, then the processor, which
 * writes one action to the outbox. Returns the action and its item key.
 */
export async function fireCartReminder(eventsStream: string, tenant: SeededTenant) {
  const customerId = `user-${randomUUID()}`;
  const tracked = await ingest(
    httpEvent('POST /v1/track', {
      writeKey: tenant.writeKey,
      body: { userId: customerId, event: 'cart_abandoned', properties: { total: 80 } },
    }),
    {} as Context,
  );
  expect(tracked).toMatchObject({ statusCode: 200 });
  const records = await recordsOfCustomers(eventsStream, [customerId]);
  expect(await processor({ Records: records }, {} as Context)).toEqual({ batchItemFailures: [] });
  const actions = await actionsSeenBy(tenant, customerId);
  expect(actions).toHaveLength(1);
  const action = actions[0] as Action;
  const key = { pk: customerPartition(tenant.tenantId, customerId), sk: actionSortKey(action) };
  return { customerId, action, key };
}

/** An action intent of the cart reminder, as the engine would fire it, for the store's own tests. */
export function cartReminderIntent(
  tenantId: string,
  customerId: string,
  firedAt: string,
  ids: { actionId?: string; messageId?: string } = {},
): ActionIntent {
  return {
    actionId: ids.actionId ?? randomUUID().replaceAll('-', ''),
    tenantId,
    customerId,
    journeyId: 'cart-reminder',
    journeyVersion: 1,
    action: 'send-reminder',
    channel: 'webhook',
    payload: {},
    firedAt,
    triggeredBy: { messageId: ids.messageId ?? randomUUID(), event: 'cart_abandoned' },
  };
}
