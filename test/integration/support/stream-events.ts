import type { KinesisStreamRecord } from 'aws-lambda';
import { readAllRecords } from './kinesis-records.js';

/** The JSON a Kinesis record carries, as ingest wrote it (not validated: tests check the shape). */
export function decodeStreamRecord(record: KinesisStreamRecord): Record<string, unknown> {
  return JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
}

/**
 * The records of some customers, in stream order per customer: every test uses customers of
 * its own, so it sees only its records in a stream that the whole file shares.
 */
export async function recordsOfCustomers(
  streamName: string,
  customerIds: readonly string[],
): Promise<KinesisStreamRecord[]> {
  const wanted = new Set(customerIds);
  return (await readAllRecords(streamName)).filter((record) => {
    try {
      return wanted.has(String(decodeStreamRecord(record).customerId));
    } catch {
      return false;
    }
  });
}
