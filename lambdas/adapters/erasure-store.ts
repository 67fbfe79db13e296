import { createHmac } from 'node:crypto';
import { GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.js';
import { batchWrite } from './batch-write.js';
import { customerPartition } from './customer-store.js';
import { env } from './env.js';
import { ERASED_KEY_PREFIX } from './table-design.js';

/**
 * How long a tombstone outlives its erasure: longer than the stream keeps records
 * (EVENTS_RETENTION, 7 days, lib/data/event-stream.ts), so that a record for the erased customer
 * that was already in the stream, redelivered or replayed from the dead-letter trail within the
 * stream's retention, still meets the tombstone and is dropped. One day of margin because
 * DynamoDB's TTL deletes lazily but never early, and the processor's retries add hours, not days.
 */
export const TOMBSTONE_DAYS = 8;
/** Erasure ids remembered on a tombstone: enough to answer receipts and spot a redelivered erase. */
const ERASURE_IDS_KEPT = 20;

export interface Tombstone {
  /** The erasure time: records received at or before it are dropped. */
  erasedAt: string;
  erasureIds: string[];
}

/**
 * The tombstone's partition: a salted hash of tenant and customer, so the item holds no personal
 * data and cannot be matched to a customer id without the deployment's salt.
 */
export function tombstoneKey(tenantId: string, customerId: string) {
  const digest = createHmac('sha256', env().ERASURE_SALT).update(`${tenantId}#${customerId}`).digest('hex');
  return { pk: `${ERASED_KEY_PREFIX}${digest}`, sk: 'ERASED' };
}

export async function loadTombstone(tenantId: string, customerId: string): Promise<Tombstone | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CUSTOMERS_TABLE,
      Key: tombstoneKey(tenantId, customerId),
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  return { erasedAt: String(Item.erasedAt), erasureIds: (Item.erasureIds as string[] | undefined) ?? [] };
}

/** Records (or extends) the tombstone; written after the partition is gone, so it means "done". */
export async function writeTombstone(
  tenantId: string,
  customerId: string,
  erasureId: string,
  erasedAt: string,
  now: Date,
): Promise<void> {
  const previous = await loadTombstone(tenantId, customerId);
  const erasureIds = [...(previous?.erasureIds ?? []).filter((id) => id !== erasureId), erasureId].slice(
    -ERASURE_IDS_KEPT,
  );
  const latest = previous !== undefined && previous.erasedAt > erasedAt ? previous.erasedAt : erasedAt;
  const expiresFrom = Math.max(now.getTime(), Date.parse(latest));
  await dynamo().send(
    new PutCommand({
      TableName: env().CUSTOMERS_TABLE,
      Item: {
        ...tombstoneKey(tenantId, customerId),
        erasedAt: latest,
        erasureIds,
        expiresAt: Math.floor(expiresFrom / 1_000) + TOMBSTONE_DAYS * 86_400,
      },
    }),
  );
}

/** Every item of a customer's partition: state, consent history, actions, timers, decisions, caps. */
export async function customerItems(
  tenantId: string,
  customerId: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: dynamo() },
    {
      TableName: env().CUSTOMERS_TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': customerPartition(tenantId, customerId) },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/**
 * Deletes every item of a customer's partition, 25 at a time, retrying what DynamoDB leaves
 * unprocessed. Deleting an item that is gone changes nothing, so a retry is harmless.
 * Returns how many items were deleted.
 */
export async function deleteCustomerPartition(tenantId: string, customerId: string): Promise<number> {
  const keys = (await customerItems(tenantId, customerId)).map((item) => ({ pk: item.pk, sk: item.sk }));
  await batchWrite(
    env().CUSTOMERS_TABLE,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
  );
  return keys.length;
}
