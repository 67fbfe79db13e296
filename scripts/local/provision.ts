import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, type KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CONFIG_TABLE, CUSTOMERS_TABLE, EVENTS_STREAM, KEY } from '../../lambdas/adapters/table-design.js';
import { type AdminClients, createAdminClients, destroyAdminClients } from './admin-clients.js';

/**
 * Creates Écoute's tables and stream where the CDK stack does not: in the emulators, in LocalStack,
 * or in an AWS account for a quick experiment. Safe to run again: what exists is kept (with its
 * data) after checking that it still matches lambdas/adapters/table-design.ts.
 */

export interface ResourceNames {
  configTable: string;
  customersTable: string;
  eventsStream: string;
}

export interface ProvisionedResources {
  /** Where the dispatcher reads newly written actions from. */
  customersStreamArn: string;
}

export class ResourceDesignMismatchError extends Error {
  override name = 'ResourceDesignMismatchError';
}

// Short delays: the emulators create everything at once, and AWS within seconds.
const waiterTiming = { maxWaitTime: 120, minDelay: 1, maxDelay: 5 };

/** @param clients defaults to clients configured by the SDK's environment variables */
export async function provisionResources(
  names: ResourceNames,
  clients?: AdminClients,
): Promise<ProvisionedResources> {
  const usedClients = clients ?? createAdminClients();
  try {
    const [, customersTable] = await allSettled([
      ensureTable(usedClients.dynamodb, configTableDesign(names.configTable)),
      ensureTable(usedClients.dynamodb, customersTableDesign(names.customersTable)),
      ensureStream(usedClients.kinesis, names.eventsStream),
    ]);
    // AWS refuses to change TTL while the table is being created, hence only now.
    await ensureTimeToLive(usedClients.dynamodb, names.customersTable, CUSTOMERS_TABLE.timeToLiveAttribute);
    await ensureTimeToLive(usedClients.dynamodb, names.configTable, CONFIG_TABLE.timeToLiveAttribute);
    if (!customersTable.LatestStreamArn) {
      throw new ResourceDesignMismatchError(`table ${names.customersTable} reports no stream ARN`);
    }
    return { customersStreamArn: customersTable.LatestStreamArn };
  } finally {
    if (!clients) destroyAdminClients(usedClients);
  }
}

const stringAttribute = (name: string): AttributeDefinition => ({ AttributeName: name, AttributeType: 'S' });

const compositeKey = (partition: string, sort: string): KeySchemaElement[] => [
  { AttributeName: partition, KeyType: 'HASH' },
  { AttributeName: sort, KeyType: 'RANGE' },
];

function configTableDesign(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [stringAttribute(KEY.partition), stringAttribute(KEY.sort)],
    KeySchema: compositeKey(KEY.partition, KEY.sort),
  };
}

function customersTableDesign(tableName: string): CreateTableCommandInput {
  const queue = CUSTOMERS_TABLE.deliveryQueueIndex;
  const timers = CUSTOMERS_TABLE.timerDueIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      stringAttribute(KEY.partition),
      stringAttribute(KEY.sort),
      stringAttribute(queue.partitionKey),
      stringAttribute(queue.sortKey),
      stringAttribute(timers.partitionKey),
      stringAttribute(timers.sortKey),
    ],
    KeySchema: compositeKey(KEY.partition, KEY.sort),
    GlobalSecondaryIndexes: [
      {
        IndexName: queue.name,
        KeySchema: compositeKey(queue.partitionKey, queue.sortKey),
        // The sweeper redelivers straight from the index, so it needs whole actions.
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: timers.name,
        KeySchema: compositeKey(timers.partitionKey, timers.sortKey),
        // The sweeper builds each timer's stream record from the index alone.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...timers.projectedAttributes] },
      },
    ],
    // The dispatcher's outbox feed: new images of written actions.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  };
}

async function ensureTable(
  client: DynamoDBClient,
  design: CreateTableCommandInput,
): Promise<TableDescription> {
  try {
    await client.send(new CreateTableCommand(design));
  } catch (error) {
    if (!isNamed(error, 'ResourceInUseException')) throw error;
  }
  await waitUntilTableExists({ client, ...waiterTiming }, { TableName: design.TableName });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: design.TableName }));
  if (!Table) throw new Error(`DescribeTable returned nothing for ${design.TableName}`);
  const differences = designDifferences(design, Table);
  if (differences.length > 0) {
    throw new ResourceDesignMismatchError(
      `table ${design.TableName} exists but differs from lambdas/adapters/table-design.ts ` +
        `(${differences.join('; ')}): delete it, or the local data directory, to have it recreated`,
    );
  }
  return Table;
}

/** What an existing table lacks; capacity mode and projections are left to whoever changed them. */
function designDifferences(design: CreateTableCommandInput, table: TableDescription): string[] {
  const differences: string[] = [];
  const sameKeys = (a: KeySchemaElement[] | undefined, b: KeySchemaElement[] | undefined) =>
    JSON.stringify(a?.map(({ AttributeName, KeyType }) => [AttributeName, KeyType])) ===
    JSON.stringify(b?.map(({ AttributeName, KeyType }) => [AttributeName, KeyType]));

  if (!sameKeys(design.KeySchema, table.KeySchema)) differences.push('its primary key differs');
  for (const index of design.GlobalSecondaryIndexes ?? []) {
    const existing = table.GlobalSecondaryIndexes?.find(({ IndexName }) => IndexName === index.IndexName);
    if (!existing) differences.push(`index ${index.IndexName} is missing`);
    else if (!sameKeys(index.KeySchema, existing.KeySchema))
      differences.push(`index ${index.IndexName} keys differ`);
  }
  const wantedStream = design.StreamSpecification;
  if (
    wantedStream?.StreamEnabled &&
    (!table.StreamSpecification?.StreamEnabled ||
      table.StreamSpecification.StreamViewType !== wantedStream.StreamViewType)
  ) {
    differences.push(`its stream is not enabled with ${wantedStream.StreamViewType}`);
  }
  return differences;
}

async function ensureTimeToLive(
  client: DynamoDBClient,
  tableName: string,
  attributeName: string,
): Promise<void> {
  const { TimeToLiveDescription: current } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = current?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (current?.AttributeName === attributeName) return;
    throw new ResourceDesignMismatchError(
      `table ${tableName} expires items on ${current?.AttributeName}, not ${attributeName}`,
    );
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attributeName },
    }),
  );
}

async function ensureStream(client: KinesisClient, streamName: string): Promise<void> {
  try {
    // Provisioned shards even where on-demand exists: kinesalite knows only shard counts, and
    // the deployed stream is the CDK stack's business, not this script's.
    await client.send(
      new CreateStreamCommand({ StreamName: streamName, ShardCount: EVENTS_STREAM.localShardCount }),
    );
  } catch (error) {
    if (!isNamed(error, 'ResourceInUseException')) throw error;
  }
  await waitUntilStreamExists({ client, ...waiterTiming }, { StreamName: streamName });
}

/**
 * Like Promise.all, but waits for every request before failing, so none is still in flight when
 * the caller cleans up or the clients are destroyed.
 */
async function allSettled<T extends readonly Promise<unknown>[] | []>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const outcomes = await Promise.allSettled(promises);
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** By name rather than instanceof: DynamoDB and Kinesis each have their own ResourceInUseException class. */
const isNamed = (error: unknown, name: string): boolean => error instanceof Error && error.name === name;
