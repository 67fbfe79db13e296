import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Action } from '../../schemas/action.js';
import { Decision } from '../../schemas/decision.js';
import type { CustomerExport, CustomerRecords, DecisionPage } from '../../schemas/privacy.js';
import { Timer } from '../../schemas/timer.js';
import { InvalidInputError } from '../core/errors.js';
import { linkedIdsOf } from '../core/privacy/linked-ids.js';
import { dynamo } from './aws-clients.js';
import { STATE_SORT_KEY_PREFIX } from './customer-state-items.js';
import { customerPartition, loadCustomerState } from './customer-store.js';
import { env } from './env.js';
import { customerItems } from './erasure-store.js';

/** Attributes that are storage bookkeeping, not the customer's data. */
const KEY_ATTRIBUTES = new Set(['pk', 'sk']);

/** A payload stored as JSON text (state, decisions) or as a map. */
const payloadOf = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

/** A stored decision item: the decision under `decision` (text or map), or the item itself. */
export function decisionOfItem(item: Record<string, unknown>): Decision {
  return Decision.parse(item.decision === undefined ? item : payloadOf(item.decision));
}

const withoutKeys = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.has(name)));

/** Every item under one customer id, sorted by kind. */
export async function customerRecordsOf(tenantId: string, customerId: string): Promise<CustomerRecords> {
  const records: CustomerRecords = {
    customerId,
    state: null,
    consentHistory: [],
    actions: [],
    timers: [],
    decisions: [],
    other: [],
  };
  const [items, state] = await Promise.all([
    customerItems(tenantId, customerId),
    loadCustomerState(tenantId, customerId),
  ]);
  records.state = state ?? null;
  for (const item of items) {
    const sk = String(item.sk);
    // The state is stored in parts, compressed (customer-state-items.ts): read whole above.
    if (sk.startsWith(STATE_SORT_KEY_PREFIX)) continue;
    if (sk.startsWith('CONSENT#')) records.consentHistory.push(withoutKeys(item));
    else if (sk.startsWith('ACTION#')) records.actions.push(Action.parse(item.action));
    else if (sk.startsWith('TIMER#')) records.timers.push(Timer.parse(item.timer));
    else if (sk.startsWith('DECISION#')) records.decisions.push(decisionOfItem(item));
    else records.other.push({ kind: sk, ...withoutKeys(item) });
  }
  return records;
}

/**
 * GDPR art. 15: everything about a customer in one document, with the ids merged into them
 * (anonymous devices, former ids), whose partitions keep stubs and whatever arrived before the merge.
 */
export async function exportCustomer(
  tenantId: string,
  customerId: string,
  now: Date,
): Promise<CustomerExport> {
  const own = await customerRecordsOf(tenantId, customerId);
  const linkedIds = linkedIdsOf(own.state ?? undefined);
  const linked = await Promise.all(linkedIds.map((id) => customerRecordsOf(tenantId, id)));
  return { tenantId, exportedAt: now.toISOString(), ...own, linked };
}

const encodeCursor = (sk: string) => Buffer.from(sk).toString('base64url');
function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!sk.startsWith('DECISION#')) throw new InvalidInputError('invalid_cursor', 'The cursor is not valid.');
  return sk;
}

/** A customer's decisions, newest first (sort keys start with the decision time), a page at a time. */
export async function listDecisions(
  tenantId: string,
  customerId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<DecisionPage> {
  const pk = customerPartition(tenantId, customerId);
  const { Items, LastEvaluatedKey } = await dynamo().send(
    new QueryCommand({
      TableName: env().CUSTOMERS_TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'DECISION#' },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(page.cursor === undefined ? {} : { ExclusiveStartKey: { pk, sk: decodeCursor(page.cursor) } }),
    }),
  );
  const decisions = (Items ?? []).map(decisionOfItem);
  const last = LastEvaluatedKey?.sk;
  return { decisions, ...(typeof last === 'string' ? { nextCursor: encodeCursor(last) } : {}) };
}
