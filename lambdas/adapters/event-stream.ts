import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { partitionKeyOf, type StreamRecord } from '../../schemas/stream-record.js';
import { RetryableError } from '../core/errors.js';
import { kinesis } from './aws-clients.js';
import { env } from './env.js';

/** PutRecords takes at most 500 records and 5 MiB per call (Kinesis API reference, PutRecords). */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024 - 64 * 1024;
const ATTEMPTS = 4;

export function encodeStreamRecord(record: StreamRecord): PutRecordsRequestEntry {
  return {
    PartitionKey: partitionKeyOf(record.tenantId, record.customerId),
    Data: Buffer.from(JSON.stringify(record)),
  };
}

function chunk(entries: PutRecordsRequestEntry[]): PutRecordsRequestEntry[][] {
  const chunks: PutRecordsRequestEntry[][] = [];
  let current: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = (entry.Data?.byteLength ?? 0) + (entry.PartitionKey?.length ?? 0);
    if (current.length === MAX_RECORDS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes records to the events stream and returns only once Kinesis has accepted every one.
 * PutRecords is not atomic: entries that failed (throttled, internal error) are retried alone,
 * with backoff. If some still fail, a RetryableError tells the caller to answer 503 so the
 * sender retries; the records that did land are dropped as duplicates by the processor
 * (same messageId).
 */
export async function putRecordsDurably(records: readonly StreamRecord[]): Promise<void> {
  for (const entries of chunk(records.map(encodeStreamRecord))) {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > ATTEMPTS) {
        throw new RetryableError(
          `Kinesis did not accept ${pending.length} record(s) after ${ATTEMPTS} attempts`,
        );
      }
      if (attempt > 1) await pause(50 * 2 ** attempt * (0.5 + Math.random() / 2));
      pending = await putOnce(pending);
    }
  }
}

async function putOnce(entries: PutRecordsRequestEntry[]): Promise<PutRecordsRequestEntry[]> {
  try {
    const result = await kinesis().send(
      new PutRecordsCommand({ StreamName: env().EVENTS_STREAM, Records: entries }),
    );
    if (!result.FailedRecordCount) return [];
    return entries.filter((_, index) => result.Records?.[index]?.ErrorCode !== undefined);
  } catch {
    // The call failed as a whole (throttling, a network error, a missing stream): retry every
    // entry; if it keeps failing the sender gets 503 and retries later, nothing is lost.
    return entries;
  }
}
