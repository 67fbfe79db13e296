import { createHash } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { ConsentEntry } from '../../schemas/consent.js';
import type { MyConsentChangeRequest } from '../../schemas/privacy.js';
import { RetryableError } from '../core/errors.js';
import { kinesis } from './aws-clients.js';
import { env } from './env.js';
import { encodeStreamRecord } from './event-stream.js';

/**
 * A consent change asked for by the customer (privacy API) or the business (consent API): each
 * purpose and channel named, with its new status and proof.
 */
export interface ConsentChange {
  /** Deterministic per request: travels as the record's message id. */
  changeId: string;
  purposes: Record<string, ConsentEntry>;
  channels: Record<string, ConsentEntry>;
}

/** The change a `PUT /v1/me/consent` body asks for, proved by the customer's own token. */
export function consentChangeOf(request: MyConsentChangeRequest, at: Date, source: string): ConsentChange {
  const entry = (status: ConsentEntry['status']): ConsentEntry => ({
    status,
    at: at.toISOString(),
    source,
    ...(request.policyVersion === undefined ? {} : { policyVersion: request.policyVersion }),
  });
  const purposes = Object.fromEntries(
    Object.entries(request.purposes ?? {}).map(([purpose, status]) => [purpose, entry(status)]),
  );
  const channels = Object.fromEntries(
    Object.entries(request.channels ?? {}).flatMap(([channel, status]) =>
      status === undefined ? [] : [[channel, entry(status)]],
    ),
  );
  const changeId = createHash('sha256')
    .update(JSON.stringify({ purposes, channels, at: at.toISOString(), source }))
    .digest('hex')
    .slice(0, 32);
  return { changeId, purposes, channels };
}

/**
 * Puts a consent change into the stream under the customer's key (the processor is the single
 * writer of the ledger and its history). SEAM: the consent helper defines the `consent` stream
 * record kind; this builds a record of that kind by shape
 * (`{ kind: 'consent', tenantId, customerId, receivedAt, change }`) and the coordinator aligns the
 * two when merging.
 */
export async function putConsentChange(
  tenantId: string,
  customerId: string,
  change: ConsentChange,
  now: Date,
): Promise<void> {
  const record = { kind: 'consent', tenantId, customerId, receivedAt: now.toISOString(), change };
  // Typed as a stream record once the consent kind is in schemas/stream-record.ts.
  const entry = encodeStreamRecord(record as unknown as Parameters<typeof encodeStreamRecord>[0]);
  const { FailedRecordCount } = await kinesis().send(
    new PutRecordsCommand({ StreamName: env().EVENTS_STREAM, Records: [entry] }),
  );
  if ((FailedRecordCount ?? 0) > 0) throw new RetryableError('Kinesis did not accept the consent change');
}
