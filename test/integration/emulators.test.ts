import { randomUUID } from 'node:crypto';
import net from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand as GetStreamRecordsCommand,
  GetShardIteratorCommand as GetStreamShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamo, kinesis, resetClientsForTests } from '../../lambdas/adapters/aws-clients.js';
import { CUSTOMERS_TABLE, EVENTS_STREAM } from '../../lambdas/adapters/table-design.js';
import { type AdminClients, destroyAdminClients } from '../../scripts/local/admin-clients.js';
import { startEmulators } from '../../scripts/local/emulators.js';
import { pickFreePort } from '../../scripts/local/ports.js';
import { provisionResources, ResourceDesignMismatchError } from '../../scripts/local/provision.js';
import {
  deleteResources,
  emulatorClients,
  type FreshResources,
  freshResources,
} from './support/resources.js';

describe('the emulators started by the global setup', () => {
  let resources: FreshResources;
  let clients: AdminClients;

  beforeAll(async () => {
    clients = emulatorClients();
    resources = await freshResources('emulators');
  });

  afterAll(async () => {
    await deleteResources(resources);
    destroyAdminClients(clients);
    resetClientsForTests();
  });

  it('are what the adapters reach through the standard endpoint variables', async () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(inject('awsEnv').AWS_ENDPOINT_URL_DYNAMODB);
    expect(process.env.AWS_ENDPOINT_URL_KINESIS).toBe(inject('awsEnv').AWS_ENDPOINT_URL_KINESIS);

    const key = { pk: 'TENANT#acme', sk: 'PROFILE' };
    await dynamo().send(new PutCommand({ TableName: resources.configTable, Item: { ...key, name: 'Acme' } }));
    const { Item } = await dynamo().send(new GetCommand({ TableName: resources.configTable, Key: key }));
    expect(Item).toEqual({ ...key, name: 'Acme' });

    const summary = await kinesis().send(
      new DescribeStreamSummaryCommand({ StreamName: resources.eventsStream }),
    );
    expect(summary.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
  });

  it('return a record put on a fresh Kinesis stream', async () => {
    const payload = JSON.stringify({ type: 'track', event: 'cart_abandoned', id: randomUUID() });
    const put = await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: resources.eventsStream,
        PartitionKey: 'acme#customer-1',
        Data: Buffer.from(payload),
      }),
    );
    const { ShardIterator } = await clients.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: resources.eventsStream,
        ShardId: put.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator }));

    expect(Records.map((record) => record.SequenceNumber)).toEqual([put.SequenceNumber]);
    expect(Buffer.from(Records[0]?.Data ?? []).toString()).toBe(payload);
    expect(Records[0]?.PartitionKey).toBe('acme#customer-1');
  });

  it('return an item put in a fresh table', async () => {
    const key = { pk: { S: 'WRITEKEY#0f3a' }, sk: { S: 'WRITEKEY' } };
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: resources.configTable, Item: { ...key, tenantId: { S: 'acme' } } }),
    );
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: resources.configTable, Key: key, ConsistentRead: true }),
    );
    expect(Item).toEqual({ ...key, tenantId: { S: 'acme' } });
  });

  it('deliver an INSERT on the customers table to a DynamoDB Streams reader', async () => {
    const action = {
      pk: { S: 'acme#customer-1' },
      sk: { S: `ACTION#2025-01-01T00:00:00.000Z#${randomUUID()}` },
      webhook: { S: 'https://example.test/hook' },
    };
    await clients.dynamodb.send(new PutItemCommand({ TableName: resources.customersTable, Item: action }));

    // No endpoint given: the client must find DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB_STREAMS.
    const streams = new DynamoDBStreamsClient({});
    try {
      const records = await readStreamUntil(streams, resources.customersStreamArn, (record) =>
        Boolean(record.dynamodb?.NewImage?.sk?.S === action.sk.S),
      );
      const inserted = records.find((record) => record.dynamodb?.NewImage?.sk?.S === action.sk.S);
      expect(inserted?.eventName).toBe('INSERT');
      expect(inserted?.dynamodb?.StreamViewType).toBe('NEW_IMAGE');
      expect(inserted?.dynamodb?.NewImage).toEqual(action);
      expect(inserted?.dynamodb?.OldImage).toBeUndefined();
    } finally {
      streams.destroy();
    }
  });

  it('hold the customers table, indexes, TTL and stream that table-design.ts describes', async () => {
    const { Table } = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: resources.customersTable }),
    );
    const queue = CUSTOMERS_TABLE.deliveryQueueIndex;
    const index = Table?.GlobalSecondaryIndexes?.find(({ IndexName }) => IndexName === queue.name);
    expect(index?.KeySchema).toEqual([
      { AttributeName: queue.partitionKey, KeyType: 'HASH' },
      { AttributeName: queue.sortKey, KeyType: 'RANGE' },
    ]);
    const timers = CUSTOMERS_TABLE.timerDueIndex;
    const timerIndex = Table?.GlobalSecondaryIndexes?.find(({ IndexName }) => IndexName === timers.name);
    expect(timerIndex?.KeySchema).toEqual([
      { AttributeName: timers.partitionKey, KeyType: 'HASH' },
      { AttributeName: timers.sortKey, KeyType: 'RANGE' },
    ]);
    expect(timerIndex?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['timer'] });
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    const { TimeToLiveDescription } = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: resources.customersTable }),
    );
    expect(TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: CUSTOMERS_TABLE.timeToLiveAttribute,
    });

    const summary = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: resources.eventsStream }),
    );
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(EVENTS_STREAM.localShardCount);
  });

  it('keep tables, data and stream ARN when provisioning runs again', async () => {
    const key = { pk: { S: 'TENANT#acme' }, sk: { S: 'JOURNEY#welcome' } };
    await clients.dynamodb.send(new PutItemCommand({ TableName: resources.configTable, Item: key }));

    const again = await provisionResources(resources, clients);

    expect(again.customersStreamArn).toBe(resources.customersStreamArn);
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName: resources.configTable, Key: key, ConsistentRead: true }),
    );
    expect(Item).toEqual(key);
  });
});

describe('provisionResources', () => {
  it('refuses a customers table that exists without the stream and indexes the dispatcher and sweeper need', async () => {
    const clients = emulatorClients();
    const names = {
      configTable: `drift-${randomUUID().slice(0, 8)}-config`,
      customersTable: `drift-${randomUUID().slice(0, 8)}-customers`,
      eventsStream: `drift-${randomUUID().slice(0, 8)}-events`,
    };
    try {
      await clients.dynamodb.send(
        new CreateTableCommand({
          TableName: names.customersTable,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );

      const provisioning = provisionResources(names, clients);

      await expect(provisioning).rejects.toBeInstanceOf(ResourceDesignMismatchError);
      await expect(provisioning).rejects.toThrow(
        /index delivery-queue is missing; index timer-due is missing; its stream is not enabled/,
      );
    } finally {
      await deleteResources(names);
      destroyAdminClients(clients);
    }
  });
});

describe('startEmulators', () => {
  it('refuses a DynamoDB port that is already taken, before starting anything', async () => {
    const occupied = await occupyPort('127.0.0.1');
    try {
      await expect(startEmulators({ dynamoPort: occupied.port })).rejects.toThrow(
        `port ${occupied.port} (DynamoDB Local) is already in use: is another \`npm start\` running? ` +
          'Set DYNAMO_PORT to choose another',
      );
    } finally {
      await occupied.release();
    }
  });

  it('refuses a Kinesis port that is already taken on any address', async () => {
    const occupied = await occupyPort('::1');
    try {
      await expect(startEmulators({ kinesisPort: occupied.port })).rejects.toThrow(
        new RegExp(`port ${occupied.port} \\(Kinesis emulator\\) is already in use: .* KINESIS_PORT`),
      );
    } finally {
      await occupied.release();
    }
  });

  it('says which package to install when java is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startEmulators()).rejects.toThrow(/java ENOENT.*openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('serves on the ports it is given and frees them when stopped', async () => {
    const dynamoPort = await pickFreePort();
    const kinesisPort = await pickFreePortOtherThan(dynamoPort);
    const emulators = await startEmulators({ dynamoPort, kinesisPort });
    expect(emulators.dynamoEndpoint).toBe(`http://127.0.0.1:${dynamoPort}`);
    expect(emulators.kinesisEndpoint).toBe(`http://127.0.0.1:${kinesisPort}`);
    expect(await isListening(dynamoPort)).toBe(true);
    expect(await isListening(kinesisPort)).toBe(true);

    await emulators.stop();
    await emulators.stop();

    expect(await isListening(dynamoPort)).toBe(false);
    expect(await isListening(kinesisPort)).toBe(false);
  });
});

async function readStreamUntil(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  found: (record: StreamRecord) => boolean,
): Promise<StreamRecord[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const iterators = await Promise.all(
    (StreamDescription?.Shards ?? []).map(async ({ ShardId }) => {
      const { ShardIterator } = await streams.send(
        new GetStreamShardIteratorCommand({
          StreamArn: streamArn,
          ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      return ShardIterator;
    }),
  );
  const records: StreamRecord[] = [];
  const deadline = Date.now() + 10_000;
  let pending = iterators.filter((iterator): iterator is string => Boolean(iterator));
  while (!records.some(found) && pending.length > 0 && Date.now() < deadline) {
    const pages = await Promise.all(
      pending.map((iterator) => streams.send(new GetStreamRecordsCommand({ ShardIterator: iterator }))),
    );
    records.push(...pages.flatMap((page) => page.Records ?? []));
    pending = pages
      .map((page) => page.NextShardIterator)
      .filter((iterator): iterator is string => Boolean(iterator));
    if (!records.some(found)) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return records;
}

/** A listener that accepts connections and never answers, like a stuck process would. */
async function occupyPort(host: string): Promise<{ port: number; release(): Promise<void> }> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => connections.add(socket));
  await new Promise<void>((resolve) => server.listen({ port: 0, host }, resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port bound');
  return {
    port: address.port,
    release: () =>
      new Promise((resolve) => {
        // close() waits for open connections, which a client that connected would keep forever.
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function pickFreePortOtherThan(taken: number): Promise<number> {
  for (;;) {
    const port = await pickFreePort();
    if (port !== taken) return port;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
