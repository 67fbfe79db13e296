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

/**
 * Keyed by the deterministic action id alone, so an action can be written once and only once,
 * whatever path its cause took to get here (a stream replay, or a sender's late retry).
 */
export const actionSortKey = (action: Pick<ActionIntent, 'actionId'>) => `ACTION#${action.actionId}`;
export const actionIdOfSortKey = (sortKey: string) => sortKey.slice('ACTION#'.length);

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
 * otherwise), each action only if it does not exist yet. An action that exists already was
 * fired before for the same cause: it is left as it is and the rest is written.
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
  let pending = [...actions];
  for (;;) {
    try {
      if (pending.length === 0) {
        await dynamo().send(new PutCommand(statePut));
      } else {
        await dynamo().send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: statePut },
              ...pending.map((intent) => ({
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
      return saved;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new VersionConflictError('customer state changed since it was read', { cause: error });
      }
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Reasons come in the order of TransactItems: the state first, then each action.
      const [stateReason, ...actionReasons] = error.CancellationReasons ?? [];
      const existing = new Set(
        actionReasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : [])),
      );
      if (stateReason?.Code !== 'None' || existing.size === 0) {
        throw new VersionConflictError('customer state changed since it was read', { cause: error });
      }
      pending = pending.filter((_, index) => !existing.has(index));
    }
  }
}

/**
 * A customer's actions, newest first (pull channels and the business's own views). Action keys
 * carry no time, so the customer's actions (bounded by their 90-day time to live) are sorted here.
 */
export async function listActions(tenantId: string, customerId: string, limit = 100): Promise<Action[]> {
  const actions: Action[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: env().CUSTOMERS_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId), ':prefix': 'ACTION#' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) actions.push(Action.parse(item.action));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return actions
    .sort((a, b) => b.firedAt.localeCompare(a.firedAt) || a.actionId.localeCompare(b.actionId))
    .slice(0, limit);
}
