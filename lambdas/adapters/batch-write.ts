import { BatchWriteCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.js';

/** One put or delete of a BatchWriteItem call, as the document client takes it. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** BatchWriteItem takes at most 25 requests (DynamoDB API reference, BatchWriteItem). */
const BATCH_WRITE_MAX = 25;
const UNPROCESSED_RETRIES = 8;

/**
 * Puts and deletes items of one table in BatchWriteItem calls of 25, retrying what DynamoDB
 * leaves unprocessed with exponential backoff, as the API reference asks. The writes carry no
 * condition and are not atomic together: only for writes that are harmless to repeat.
 */
export async function batchWrite(table: string, writes: readonly WriteRequest[]): Promise<void> {
  for (let start = 0; start < writes.length; start += BATCH_WRITE_MAX) {
    let requests = writes.slice(start, start + BATCH_WRITE_MAX);
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) throw new Error('DynamoDB kept batch writes unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const { UnprocessedItems } = await dynamo().send(
        new BatchWriteCommand({ RequestItems: { [table]: requests } }),
      );
      requests = UnprocessedItems?.[table] ?? [];
    }
  }
}
