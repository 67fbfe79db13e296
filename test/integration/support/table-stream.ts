import type { DynamoDBRecord } from 'aws-lambda';
import { dynamoStreamsClient, dynamoTableStream } from '../../../scripts/local/stream-sources.js';

/** Iterator errors after which reading again with fresh iterators is the cure. */
const STALE_ITERATOR = new Set(['TrimmedDataAccessException', 'ExpiredIteratorException']);

/**
 * The INSERT record of one item from a table's real stream, shaped as Lambda hands it to the
 * dispatcher. Call it after the write: DynamoDB Local may refuse an iterator taken before the
 * records arrived (TrimmedDataAccessException), and then the shards are read again.
 */
export async function insertRecordOf(
  streamArn: string,
  sortKey: string,
  timeoutMs = 10_000,
): Promise<DynamoDBRecord> {
  const client = dynamoStreamsClient();
  const stream = dynamoTableStream(client, streamArn, process.env.AWS_REGION ?? 'eu-west-1');
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const found = await findInsert(stream, sortKey);
        if (found !== undefined) return found;
      } catch (error) {
        if (!STALE_ITERATOR.has((error as Error).name)) throw error;
      }
      if (Date.now() > deadline)
        throw new Error(`no INSERT of ${sortKey} on ${streamArn} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

async function findInsert(
  stream: ReturnType<typeof dynamoTableStream>,
  sortKey: string,
): Promise<DynamoDBRecord | undefined> {
  for (const shardId of await stream.listShardIds()) {
    let iterator: string | undefined = await stream.iteratorAfter(shardId, undefined);
    while (iterator !== undefined) {
      const { records, nextIterator } = await stream.read(iterator, 1_000, shardId);
      const insert = records.find(
        (record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage?.sk?.S === sortKey,
      );
      if (insert !== undefined) return insert;
      // An open shard always hands out a next iterator: an empty page means it is read to its end.
      if (records.length === 0) break;
      iterator = nextIterator;
    }
  }
  return undefined;
}
