import { randomUUID } from 'node:crypto';
import type { ConsentAccepted, ConsentChange } from '../../schemas/consent.js';
import type { ConsentRecord } from '../../schemas/stream-record.js';
import { InvalidInputError } from '../core/errors.js';
import { loadConsentPolicy } from './config-store.js';
import { putRecordsDurably } from './event-stream.js';

/**
 * Accepts a consent change for one customer, from the business (consent API) or the customer
 * (privacy API): refuses a purpose the tenant does not know (422 `unknown_purpose`, nothing
 * written), then puts it in the stream under the customer's key, where the processor (the
 * ledger's single writer) applies it in order with their events. Resolves once Kinesis holds it.
 */
export async function acceptConsentChange(
  tenantId: string,
  customerId: string,
  change: ConsentChange,
  now: Date,
): Promise<ConsentAccepted> {
  const { purposes } = await loadConsentPolicy(tenantId);
  const unknown = Object.keys(change.purposes).filter((purpose) => !purposes.has(purpose));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      'unknown_purpose',
      `Unknown purpose: use ${[...purposes].join(', ')}, or add the purpose to the tenant settings.`,
      unknown.map((purpose) => ({
        code: 'unknown_purpose',
        message: 'not a purpose of this tenant',
        path: `purposes.${purpose}`,
      })),
      422,
    );
  }
  const record: ConsentRecord = {
    kind: 'consent',
    tenantId,
    customerId,
    receivedAt: now.toISOString(),
    changeId: randomUUID(),
    change,
  };
  await putRecordsDurably([record]);
  return { changeId: record.changeId, status: 'accepted' };
}
