import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ERASURE_COVERS, type ErasureReceipt } from '../../schemas/privacy.js';
import type { EraseRecord } from '../../schemas/stream-record.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { loadTombstone, TOMBSTONE_DAYS, tombstoneKey } from './erasure-store.js';
import { putRecordsDurably } from './event-stream.js';

/**
 * A request's receipt item, beside the tombstone (a salted hash, no personal data): how a status
 * tells a pending erasure from an id nobody asked for. It lives as long as a tombstone does.
 */
const requestKey = (tenantId: string, customerId: string, erasureId: string) => ({
  pk: tombstoneKey(tenantId, customerId).pk,
  sk: `REQUEST#${erasureId}`,
});

/**
 * Asks for a customer's erasure: an `erase` record in the stream under the customer's key, so it
 * is applied after everything already in flight for them. Succeeds for a customer Écoute never
 * saw (nothing to delete; the tombstone still stops late records): erasure is idempotent.
 */
export async function requestErasure(
  tenantId: string,
  customerId: string,
  requestedBy: EraseRecord['requestedBy'],
  now: Date,
): Promise<ErasureReceipt> {
  const record: EraseRecord = {
    kind: 'erase',
    tenantId,
    customerId,
    receivedAt: now.toISOString(),
    erasureId: randomUUID(),
    requestedBy,
  };
  // The receipt first: once the record is in the stream, a status must find the request.
  await dynamo().send(
    new PutCommand({
      TableName: env().CUSTOMERS_TABLE,
      Item: {
        ...requestKey(tenantId, customerId, record.erasureId),
        requestedAt: record.receivedAt,
        expiresAt: Math.floor(now.getTime() / 1_000) + TOMBSTONE_DAYS * 86_400,
      },
    }),
  );
  await putRecordsDurably([record]);
  return {
    erasureId: record.erasureId,
    requestedAt: record.receivedAt,
    status: 'pending',
    covers: [...ERASURE_COVERS],
  };
}

/**
 * An erasure's status: completed once the tombstone lists it (the processor writes it last),
 * pending while only its request is known, undefined for an id this customer never asked for
 * (or asked for more than TOMBSTONE_DAYS ago).
 */
export async function erasureStatus(
  tenantId: string,
  customerId: string,
  erasureId: string,
): Promise<Pick<ErasureReceipt, 'status' | 'completedAt'> | undefined> {
  const tombstone = await loadTombstone(tenantId, customerId);
  if (tombstone?.erasureIds.includes(erasureId))
    return { status: 'completed', completedAt: tombstone.erasedAt };
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CUSTOMERS_TABLE,
      Key: requestKey(tenantId, customerId, erasureId),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : { status: 'pending' };
}
