import type { CustomerState } from '../../schemas/customer-state.js';
import type { EraseRecord, StreamRecord } from '../../schemas/stream-record.js';
import { deleteCustomerPartition, loadTombstone, writeTombstone } from '../adapters/erasure-store.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import type { SequencedRecord } from '../core/engine.js';
import { linkedIdsOf } from '../core/privacy/linked-ids.js';

/**
 * Applies an erasure: first the erasure is forwarded to every linked id (so a failure below
 * retries the forward, which the linked ids drop as a repeat), then every item of the partition
 * is deleted, then the tombstone is written: its presence means the erasure is complete.
 * Returns the number of items deleted.
 */
export async function eraseCustomer(
  state: CustomerState | undefined,
  erase: EraseRecord,
  now: Date,
): Promise<number> {
  const forwards: StreamRecord[] = linkedIdsOf(state).map((customerId) => ({
    ...erase,
    customerId,
    requestedBy: 'merged',
  }));
  if (forwards.length > 0) await putRecordsDurably(forwards);
  const deleted = await deleteCustomerPartition(erase.tenantId, erase.customerId);
  await writeTombstone(erase.tenantId, erase.customerId, erase.erasureId, erase.receivedAt, now);
  return deleted;
}

/**
 * An erase already applied to a customer who came back afterwards (a redelivery after new
 * records): the tombstone lists it and the customer has a new state. Applying it again would
 * erase the new data, which the erasure never covered.
 */
export async function isEraseRedelivery(
  state: CustomerState | undefined,
  erase: EraseRecord,
): Promise<boolean> {
  if (state === undefined) return false;
  const tombstone = await loadTombstone(erase.tenantId, erase.customerId);
  return tombstone?.erasureIds.includes(erase.erasureId) ?? false;
}

/**
 * The records that outlive an erasure: those received after it, for a customer who comes back.
 * Those received at or before it were in flight and are dropped; so is every `timer` record,
 * whatever its `receivedAt`: the sweeper may put one just after the erasure (it read the timer
 * before the partition went), but a timer only belongs to a customer who had state, and applying
 * it would recreate a stub of the erased customer.
 */
export function receivedAfter(records: readonly SequencedRecord[], erasedAt: string): SequencedRecord[] {
  const cutoff = Date.parse(erasedAt);
  return records.filter(({ record }) => record.kind !== 'timer' && Date.parse(record.receivedAt) > cutoff);
}
