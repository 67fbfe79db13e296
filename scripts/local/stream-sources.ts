import {
  DescribeStreamCommand as DescribeDynamoStreamCommand,
  DynamoDBStreamsClient,
  type _Record as DynamoRecord,
  GetRecordsCommand as GetDynamoRecordsCommand,
  GetShardIteratorCommand as GetDynamoShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import type { ShardedStream } from './stream-poller.js';

/** Kinesis shards read as Lambda would, records shaped exactly as Lambda hands them to a function. */
export function kinesisShards(
  client: KinesisClient,
  streamName: string,
  region: string,
): ShardedStream<KinesisStreamRecord> {
  const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`;
  return {
    describe: `kinesis:${streamName}`,
    async listShardIds() {
      const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName }));
      return (Shards ?? []).map((shard) => shard.ShardId ?? '').filter(Boolean);
    },
    async iteratorAfter(shardId, sequenceNumber) {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ...(sequenceNumber === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }),
        }),
      );
      if (ShardIterator === undefined) throw new Error(`no iterator for ${shardId}`);
      return ShardIterator;
    },
    async read(iterator, limit, shardId) {
      const result = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      const records = (result.Records ?? []).map(
        (record): KinesisStreamRecord => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: record.PartitionKey ?? '',
            sequenceNumber: record.SequenceNumber ?? '',
            data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
            approximateArrivalTimestamp:
              (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1_000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${record.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
          awsRegion: region,
          eventSourceARN: streamArn,
        }),
      );
      return { records, nextIterator: result.NextShardIterator };
    },
    idOf: (record) => record.kinesis.sequenceNumber,
  };
}

export function dynamoStreamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true } }),
  });
}

/** A DynamoDB table's stream, records shaped as Lambda hands them to a function. */
export function dynamoTableStream(
  client: DynamoDBStreamsClient,
  streamArn: string,
  region: string,
): ShardedStream<DynamoDBRecord> {
  return {
    describe: `dynamodb-stream:${streamArn}`,
    async listShardIds() {
      const { StreamDescription } = await client.send(
        new DescribeDynamoStreamCommand({ StreamArn: streamArn }),
      );
      return (StreamDescription?.Shards ?? []).map((shard) => shard.ShardId ?? '').filter(Boolean);
    },
    async iteratorAfter(shardId, sequenceNumber) {
      const { ShardIterator } = await client.send(
        new GetDynamoShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(sequenceNumber === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: sequenceNumber }),
        }),
      );
      if (ShardIterator === undefined) throw new Error(`no iterator for ${shardId}`);
      return ShardIterator;
    },
    async read(iterator, limit) {
      const result = await client.send(
        new GetDynamoRecordsCommand({ ShardIterator: iterator, Limit: limit }),
      );
      const records = (result.Records ?? []).map((record: DynamoRecord) =>
        toLambdaRecord(record, streamArn, region),
      );
      return { records, nextIterator: result.NextShardIterator };
    },
    idOf: (record) => record.dynamodb?.SequenceNumber ?? '',
  };
}

/**
 * DynamoDB Local writes an empty map as `{}` instead of `{ "M": {} }` in stream images (real
 * DynamoDB Streams does not), which unmarshalling refuses. An attribute value is always an object
 * with one type key, so a bare `{}` in an image can only be a map that lost its type.
 */
function repairEmptyMaps(image: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (image === undefined) return undefined;
  const repaired: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) repaired[name] = repairAttribute(value);
  return repaired;
}

function repairAttribute(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const attribute = value as Record<string, unknown>;
  if (Object.keys(attribute).length === 0) return { M: {} };
  if (attribute.M !== undefined) return { M: repairEmptyMaps(attribute.M as Record<string, unknown>) };
  if (Array.isArray(attribute.L)) return { L: attribute.L.map(repairAttribute) };
  return attribute;
}

function toLambdaRecord(record: DynamoRecord, streamArn: string, region: string): DynamoDBRecord {
  const change = record.dynamodb && {
    ...record.dynamodb,
    Keys: repairEmptyMaps(record.dynamodb.Keys),
    NewImage: repairEmptyMaps(record.dynamodb.NewImage),
    OldImage: repairEmptyMaps(record.dynamodb.OldImage),
  };
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      Keys: change?.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      NewImage: change?.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      OldImage: change?.OldImage as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'],
      SequenceNumber: change?.SequenceNumber,
      SizeBytes: change?.SizeBytes,
      StreamViewType: change?.StreamViewType,
      ApproximateCreationDateTime: (change?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1_000,
    },
  };
}
