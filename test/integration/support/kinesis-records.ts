import type { KinesisStreamRecord } from 'aws-lambda';
import { kinesis } from '../../../lambdas/adapters/aws-clients.js';
import { kinesisShards } from '../../../scripts/local/stream-sources.js';

/**
 * Every record currently in a stream, from all shards, shaped as Lambda hands them to the
 * processor: what an event source mapping would deliver.
 */
export async function readAllRecords(streamName: string): Promise<KinesisStreamRecord[]> {
  const shards = kinesisShards(kinesis(), streamName, process.env.AWS_REGION ?? 'eu-west-1');
  const all: KinesisStreamRecord[] = [];
  for (const shardId of await shards.listShardIds()) {
    let iterator: string | undefined = await shards.iteratorAfter(shardId, undefined);
    while (iterator !== undefined) {
      const { records, nextIterator } = await shards.read(iterator, 1_000, shardId);
      all.push(...records);
      if (records.length === 0) break;
      iterator = nextIterator;
    }
  }
  return all;
}
