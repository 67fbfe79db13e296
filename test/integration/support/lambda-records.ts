import { randomUUID } from 'node:crypto';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { CallRecord, StreamRecord } from '../../../schemas/stream-record.js';
import { trackRecord } from '../../unit/support/journey-records.js';

/** A stream record as Lambda's event source mapping hands it to the processor. */
export function asKinesisRecord(record: StreamRecord, sequenceNumber: string): KinesisStreamRecord {
  return {
    kinesis: {
      sequenceNumber,
      data: Buffer.from(JSON.stringify(record)).toString('base64'),
      partitionKey: record.customerId,
      kinesisSchemaVersion: '1.0',
      approximateArrivalTimestamp: 0,
    },
  } as KinesisStreamRecord;
}

/** A web `track` call of a known customer, as ingest puts it in the stream, with a fresh message id. */
export function trackCall(
  tenantId: string,
  customerId: string,
  event: string,
  at: string,
  properties: Record<string, unknown> = {},
): CallRecord {
  return { ...trackRecord(customerId, event, at, randomUUID(), properties), tenantId };
}
