import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { CustomerState } from '../../schemas/customer-state.js';
import type { Timer } from '../../schemas/timer.js';
import type { ActionIntent } from '../core/engine.js';
import { VersionConflictError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';
import { CUSTOMERS_TABLE, retryQueue, timerQueue } from './table-design.js';
import {
  NO_TIMER_CHANGES,
  netTimerChanges,
  type TimerChanges,
  timerBucketOf,
  timerExpiresAt,
  timerSortKey,
} from './timer-items.js';

/** Every item of a customer shares this partition key: export and erasure are one Query. */
export const customerPartition = (tenantId: string, customerId: string) => `${tenantId}#${customerId}`;

/**
 * Keyed by the deterministic action id alone, so an action can be written once and only once,
 * whatever path its cause took to get here (a stream replay, or a sender's late retry).
 */
export const actionSortKey = (action: Pick<ActionIntent, 'actionId'>) => `ACTION#${action.actionId}`;
export const actionIdOfSortKey = (sortKey: string) => sortKey.slice('ACTION#'.length);

/**
 * TransactWriteItems takes at most 100 items
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
 * the state, the new actions, the timers armed and the timers removed share that budget.
 */
export const MAX_ITEMS_PER_WRITE = 100;

/**
 * Other items a customer's write carries in the same transaction (consent history, decisions,
 * caps…), as TransactWriteItems entries of the document client; each counts in the budget.
 */
export type ExtraWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How many items one customer's write touches: what must stay within MAX_ITEMS_PER_WRITE. */
export function itemsInWrite(
  actions: readonly unknown[],
  timers: TimerChanges = NO_TIMER_CHANGES,
  extraWrites: readonly ExtraWrite[] = [],
): number {
  const net = netTimerChanges(timers);
  return 1 + actions.length + net.set.length + net.cancel.length + extraWrites.length;
}

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
  if (Item === undefined) return undefined;
  // Stored as JSON text (see saveCustomerOutcome); an older item may hold it as a map.
  return CustomerState.parse(typeof Item.state === 'string' ? JSON.parse(Item.state) : Item.state);
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
 * A pending timer, under its customer's partition (export and erasure find it there). While
 * `timerQueue` is set it sits in the sparse `timer-due` index, ordered by `dueAt`; the sweeper
 * removes `timerQueue` once the timer's record is in the stream.
 */
function newTimerItem(timer: Timer) {
  return {
    pk: customerPartition(timer.tenantId, timer.customerId),
    sk: timerSortKey(timer.timerId),
    timer,
    timerQueue: timerQueue(timerBucketOf(timer.timerId)),
    dueAt: timer.dueAt,
    expiresAt: timerExpiresAt(timer.dueAt),
  };
}

/**
 * Writes a customer's new state, the actions it produced and the changes to their timers in one
 * conditional write: the state only if nobody wrote it since `previousVersion` was read
 * (VersionConflictError otherwise, and then no action or timer is written either), each action
 * only if it does not exist yet. An action that exists already was fired before for the same
 * cause: it is left as it is and the rest is written. Timers are armed (put, replacing one of
 * the same id) and cancelled (deleted; deleting a timer that is gone changes nothing) without
 * condition. `extraWrites` go in the same transaction, after the timers; one whose condition
 * fails makes the whole write a VersionConflictError (read again, retry).
 *
 * @throws RangeError when the write would touch more than MAX_ITEMS_PER_WRITE items (see
 * `itemsInWrite`), or a timer of another customer
 */
export async function saveCustomerOutcome(
  previousVersion: number | undefined,
  state: CustomerState,
  actions: readonly ActionIntent[],
  timers: TimerChanges = NO_TIMER_CHANGES,
  extraWrites: readonly ExtraWrite[] = [],
): Promise<CustomerState> {
  const items = itemsInWrite(actions, timers, extraWrites);
  if (items > MAX_ITEMS_PER_WRITE) {
    throw new RangeError(`at most ${MAX_ITEMS_PER_WRITE} items per write, got ${items}`);
  }
  const net = netTimerChanges(timers);
  const partition = customerPartition(state.tenantId, state.customerId);
  for (const timer of net.set) {
    // Only the processor of this customer may write under their partition (single writer).
    if (customerPartition(timer.tenantId, timer.customerId) !== partition) {
      throw new RangeError(`timer ${timer.timerId} belongs to another customer`);
    }
  }
  const timerWrites = [
    ...net.set.map((timer) => ({ Put: { TableName: env().CUSTOMERS_TABLE, Item: newTimerItem(timer) } })),
    ...net.cancel.map((timerId) => ({
      Delete: { TableName: env().CUSTOMERS_TABLE, Key: { pk: partition, sk: timerSortKey(timerId) } },
    })),
  ];
  const saved: CustomerState = { ...state, version: (previousVersion ?? 0) + 1 };
  const statePut = {
    TableName: env().CUSTOMERS_TABLE,
    Item: {
      pk: partition,
      sk: 'STATE',
      version: saved.version,
      // JSON text, not a map: traits and properties are the customer's data, and DynamoDB refuses
      // numbers outside 1e-130..1e126 or beyond 38 digits, which JSON allows; as a map, one such
      // trait would make every write of this customer fail until the batch is dead-lettered.
      state: JSON.stringify(saved),
    },
    ConditionExpression: previousVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :expected',
    ExpressionAttributeValues: previousVersion === undefined ? undefined : { ':expected': previousVersion },
  };
  let pending = [...actions];
  for (;;) {
    try {
      if (pending.length === 0 && timerWrites.length === 0 && extraWrites.length === 0) {
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
              ...timerWrites,
              ...extraWrites,
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
      // Reasons come in the order of TransactItems: the state first, then each action, then the
      // timers. Timers have no condition: they only fail on a TransactionConflict (the sweeper
      // marking one fired at that instant), which is retried from a fresh read like a conflict.
      const [stateReason, ...otherReasons] = error.CancellationReasons ?? [];
      const actionReasons = otherReasons.slice(0, pending.length);
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
  const items = await queryByPrefix(
    env().CUSTOMERS_TABLE,
    customerPartition(tenantId, customerId),
    'ACTION#',
  );
  const actions = items.map((item) => Action.parse(item.action));
  return actions
    .sort((a, b) => b.firedAt.localeCompare(a.firedAt) || a.actionId.localeCompare(b.actionId))
    .slice(0, limit);
}
