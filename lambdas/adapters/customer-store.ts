import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { CustomerState } from '../../schemas/customer-state.js';
import type { ActionIntent } from '../core/engine.js';
import { VersionConflictError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { CUSTOMERS_TABLE, retryQueue } from './table-design.js';

/** Every item of a customer shares this partition key: export and erasure are one Query. */
export const customerPartition = (tenantId: string, customerId: string) => `${tenantId}#${customerId}`;

export const actionSortKey = (action: Pick<ActionIntent, 'firedAt' | 'actionId'>) =>
  `ACTION#${action.firedAt}#${action.actionId}`;

/** TransactWriteItems takes at most 100 items: the state and 99 actions. */
export const MAX_ACTIONS_PER_WRITE = 99;

/**
 * If the dispatcher has not picked up a new action within this delay (its stream invocation
 * failed for good), the sweeper delivers it: the outbox never loses an action.
 */
const OUTBOX_SAFETY_NET_SECONDS = 60;
const ACTION_RETENTION_DAYS = 90;

/** Which of the index's retry partitions an action waits in: stable per action. */
export function retryBucketOf(actionId: string): number {
  return Number.parseInt(actionId.slice(0, 4), 16) % CUSTOMERS_TABLE.retryBuckets;
}

export async function loadCustomerState(
  tenantId: string,
  customerId: string,
): Promise<CustomerState | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CUSTOMERS_TABLE,
      Key: { pk: customerPartition(tenantId, customerId), sk: 'STATE' },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : CustomerState.parse(Item.state);
}

function newActionItem(intent: ActionIntent) {
  const firedAt = Date.parse(intent.firedAt);
  const action: Action = { ...intent, delivery: { status: 'pending', attempts: 0 } };
  return {
    pk: customerPartition(intent.tenantId, intent.customerId),
    sk: actionSortKey(intent),
    action,
    queue: retryQueue(retryBucketOf(intent.actionId)),
    queuedAt: new Date(firedAt + OUTBOX_SAFETY_NET_SECONDS * 1_000).toISOString(),
    expiresAt: Math.floor(firedAt / 1_000) + ACTION_RETENTION_DAYS * 86_400,
  };
}

/**
 * Writes a customer's new state and the actions it produced in one conditional write: the
 * state only if nobody wrote it since `previousVersion` was read (VersionConflictError
 * otherwise), each action only if it does not exist yet. Either all of it lands or nothing.
 */
export async function saveCustomerOutcome(
  previousVersion: number | undefined,
  state: CustomerState,
  actions: readonly ActionIntent[],
): Promise<CustomerState> {
  if (actions.length > MAX_ACTIONS_PER_WRITE) {
    throw new RangeError(`at most ${MAX_ACTIONS_PER_WRITE} actions per write, got ${actions.length}`);
  }
  const saved: CustomerState = { ...state, version: (previousVersion ?? 0) + 1 };
  const statePut = {
    TableName: env().CUSTOMERS_TABLE,
    Item: {
      pk: customerPartition(state.tenantId, state.customerId),
      sk: 'STATE',
      version: saved.version,
      state: saved,
    },
    ConditionExpression: previousVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :expected',
    ExpressionAttributeValues: previousVersion === undefined ? undefined : { ':expected': previousVersion },
  };
  try {
    if (actions.length === 0) {
      await dynamo().send(new PutCommand(statePut));
    } else {
      await dynamo().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: statePut },
            ...actions.map((intent) => ({
              Put: {
                TableName: env().CUSTOMERS_TABLE,
                Item: newActionItem(intent),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          ],
        }),
      );
    }
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) {
      throw new VersionConflictError('customer state changed since it was read', { cause: error });
    }
    throw error;
  }
  return saved;
}

/** A customer's actions, newest first (pull channels and the business's own views). */
export async function listActions(tenantId: string, customerId: string, limit = 100): Promise<Action[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: env().CUSTOMERS_TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId), ':prefix': 'ACTION#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => Action.parse(item.action));
}
