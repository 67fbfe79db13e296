import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { CustomerState } from '../../schemas/customer-state.js';
import type { Timer } from '../../schemas/timer.js';
import type { ActionIntent } from '../core/engine.js';
import { VersionConflictError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { batchWrite } from './batch-write.js';
import {
  planStateWrite,
  readStateItems,
  STATE_SORT_KEY_PREFIX,
  type StoredState,
  TORN_READ,
} from './customer-state-items.js';
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
 * the state and the new actions (and the extra writes that go with them) share that budget.
 * Timers are not in it: they are written around the transaction (see `saveCustomerOutcome`).
 */
export const MAX_ITEMS_PER_WRITE = 100;

/**
 * Other items a customer's write carries in the same transaction (consent history, decisions,
 * caps…), as TransactWriteItems entries of the document client; each counts in the budget.
 */
export type ExtraWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How many items one customer's transaction touches: what must stay within MAX_ITEMS_PER_WRITE. */
export function itemsInWrite(actions: readonly unknown[], extraWrites: readonly ExtraWrite[] = []): number {
  return 1 + actions.length + extraWrites.length;
}

/**
 * If the dispatcher has not picked up a new action within this delay (its stream invocation
 * failed for good), the sweeper delivers it: the outbox never loses an action.
 */
const OUTBOX_SAFETY_NET_SECONDS = 60;
/** How long an action and its delivery log are kept when the caller names no tenant retention. */
const ACTION_RETENTION_DAYS = 90;

/** Which of the index's retry partitions an action waits in: stable per action. */
export function retryBucketOf(actionId: string): number {
  return Number.parseInt(actionId.slice(0, 4), 16) % CUSTOMERS_TABLE.retryBuckets;
}

/**
 * What this process last read or wrote of each customer's state: a write compares with it to
 * write only the parts that changed. Bounded: a miss only means every part is written.
 */
const STORED_KEPT = 2_000;
const storedStates = new Map<string, StoredState>();
function remember(partition: string, stored: StoredState | undefined) {
  storedStates.delete(partition);
  if (stored === undefined) return;
  storedStates.set(partition, stored);
  if (storedStates.size > STORED_KEPT) storedStates.delete(storedStates.keys().next().value as string);
}

/** A read that keeps falling across other writers' transactions gives up (the caller retries). */
const TORN_READS_TOLERATED = 5;

/**
 * A customer's state: one strongly consistent Query reads every item of it (see
 * customer-state-items.ts). A read that saw only part of another writer's transaction reads again.
 */
export async function loadCustomerState(
  tenantId: string,
  customerId: string,
): Promise<CustomerState | undefined> {
  const partition = customerPartition(tenantId, customerId);
  for (let attempt = 1; ; attempt += 1) {
    const items = await queryByPrefix(env().CUSTOMERS_TABLE, partition, STATE_SORT_KEY_PREFIX, {
      consistentRead: true,
    });
    const read = readStateItems(items);
    if (read === TORN_READ) {
      if (attempt < TORN_READS_TOLERATED) continue;
      throw new VersionConflictError('customer state kept changing while it was read');
    }
    remember(partition, read?.stored);
    return read === undefined ? undefined : CustomerState.parse(read.state);
  }
}

/**
 * An action as the outbox stores it (the bench weighs the same item), with its delivery log kept
 * for `retentionDays` (the tenant's retention) after it fired.
 */
export function newActionItem(intent: ActionIntent, retentionDays = ACTION_RETENTION_DAYS) {
  const firedAt = Date.parse(intent.firedAt);
  const action: Action = { ...intent, delivery: { status: 'pending', attempts: 0 } };
  return {
    pk: customerPartition(intent.tenantId, intent.customerId),
    sk: actionSortKey(intent),
    action,
    queue: retryQueue(retryBucketOf(intent.actionId)),
    // A deferred action waits in the retry index until its time; the sweeper sends it then.
    queuedAt: intent.deliverAt ?? new Date(firedAt + OUTBOX_SAFETY_NET_SECONDS * 1_000).toISOString(),
    expiresAt: Math.floor(firedAt / 1_000) + retentionDays * 86_400,
  };
}

/**
 * A pending timer, under its customer's partition (export and erasure find it there). While
 * `timerQueue` is set it sits in the sparse `timer-due` index, ordered by `dueAt`; the sweeper
 * removes `timerQueue` once the timer's record is in the stream.
 */
export function newTimerItem(timer: Timer) {
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
 * Writes a customer's new state and the actions it produced in one conditional write: the state
 * only if nobody wrote it since `previousVersion` was read (VersionConflictError otherwise, and
 * then no action is written either), each action only if it does not exist yet. An action that
 * exists already was fired before for the same cause: it is left as it is and the rest is
 * written. `extraWrites` go in the same transaction; one whose condition fails makes the whole
 * write a VersionConflictError (read again, retry). `retentionDays` (the tenant's retention; 90
 * days when absent) sets how long the actions are kept.
 *
 * Timers are a wake-up call, checked against the state when they fire (a timer the state does
 * not wait for changes nothing), so they need no transaction, which would double their cost:
 * the timers armed are put before the state (a committed wait always has its timer), those
 * cancelled are deleted after it (a crash in between leaves a stale timer, deleted when it
 * fires). Neither has a condition: a retry writes the same ids again.
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
  retentionDays?: number,
): Promise<CustomerState> {
  const items = itemsInWrite(actions, extraWrites);
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
  const saved: CustomerState = { ...state, version: (previousVersion ?? 0) + 1 };
  const known = storedStates.get(partition);
  const previous = known !== undefined && known.version === previousVersion ? known : undefined;
  const table = env().CUSTOMERS_TABLE;
  // Only the parts that changed are written; the state takes what the transaction has left.
  const plan = planStateWrite(partition, saved, previous, MAX_ITEMS_PER_WRITE - (items - 1));
  // The hot item's condition guards every part: no part is written without it.
  const hotPut = {
    TableName: table,
    Item: plan.hot,
    ...(previousVersion === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : previous?.writeId !== undefined
        ? {
            // Compared with what was read: also checks that the partition was not recreated since.
            ConditionExpression: 'version = :expected AND writeId = :writeId',
            ExpressionAttributeValues: { ':expected': previousVersion, ':writeId': previous.writeId },
          }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': previousVersion },
          }),
  };
  await batchWrite(
    table,
    net.set.map((timer) => ({ PutRequest: { Item: newTimerItem(timer) } })),
  );
  const stateWrites = [
    { Put: hotPut },
    ...plan.puts.map((Item) => ({ Put: { TableName: table, Item } })),
    ...plan.deletes.map((sk) => ({ Delete: { TableName: table, Key: { pk: partition, sk } } })),
  ];
  let pending = [...actions];
  for (;;) {
    try {
      if (stateWrites.length === 1 && pending.length === 0 && extraWrites.length === 0) {
        // A plain conditional Put: half the units of a transaction.
        await dynamo().send(new PutCommand(hotPut));
      } else {
        await dynamo().send(
          new TransactWriteCommand({
            TransactItems: [
              ...stateWrites,
              ...pending.map((intent) => ({
                Put: {
                  TableName: table,
                  Item: newActionItem(intent, retentionDays),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
              ...extraWrites,
            ],
          }),
        );
      }
      remember(partition, plan.stored);
      break;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        remember(partition, undefined);
        throw new VersionConflictError('customer state changed since it was read', { cause: error });
      }
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Reasons come in the order of TransactItems: the state's items first, then each action,
      // then the extra writes. A part fails only on a TransactionConflict, and an extra write on
      // its own condition (the caps item's version): both are retried from a fresh read.
      const reasons = error.CancellationReasons ?? [];
      const stateFailed = reasons.slice(0, stateWrites.length).some((reason) => reason.Code !== 'None');
      const actionReasons = reasons.slice(stateWrites.length, stateWrites.length + pending.length);
      const existing = new Set(
        actionReasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : [])),
      );
      if (stateFailed || existing.size === 0) {
        remember(partition, undefined);
        throw new VersionConflictError('customer state changed since it was read', { cause: error });
      }
      pending = pending.filter((_, index) => !existing.has(index));
    }
  }
  await batchWrite(
    table,
    net.cancel.map((timerId) => ({ DeleteRequest: { Key: { pk: partition, sk: timerSortKey(timerId) } } })),
  );
  return saved;
}

/**
 * A customer's actions, newest first (pull channels and the business's own views). Action keys
 * carry no time, so the customer's actions (bounded by their time to live) are sorted here.
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
