import { randomUUID } from 'node:crypto';
import { ERASURE_COVERS, type ErasureReceipt } from '../../schemas/privacy.js';
import type { EraseRecord } from '../../schemas/stream-record.js';
import { loadTombstone } from './erasure-store.js';
import { putRecordsDurably } from './event-stream.js';

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
  await putRecordsDurably([record]);
  return {
    erasureId: record.erasureId,
    requestedAt: record.receivedAt,
    status: 'pending',
    covers: [...ERASURE_COVERS],
  };
}

/** An erasure's status: completed once the tombstone lists it (the processor writes it last). */
export async function erasureStatus(
  tenantId: string,
  customerId: string,
  erasureId: string,
): Promise<Pick<ErasureReceipt, 'status' | 'completedAt'>> {
  const tombstone = await loadTombstone(tenantId, customerId);
  if (tombstone?.erasureIds.includes(erasureId))
    return { status: 'completed', completedAt: tombstone.erasedAt };
  return { status: 'pending' };
}
