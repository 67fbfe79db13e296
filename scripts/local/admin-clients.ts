import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Low-level clients for creating and deleting tables and streams, which the adapters' document
 * client does not do. HTTP/1.1 for the same reason as in lambdas/adapters/aws-clients.ts: the
 * Kinesis emulators do not speak HTTP/2.
 */
export interface AdminClients {
  dynamodb: DynamoDBClient;
  kinesis: KinesisClient;
}

export interface AdminClientOptions {
  /** Overrides the SDK's own resolution (`AWS_ENDPOINT_URL_*`, then AWS) when given. */
  dynamoEndpoint?: string;
  kinesisEndpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createAdminClients(options: AdminClientOptions = {}): AdminClients {
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return {
    dynamodb: new DynamoDBClient({
      ...common,
      ...(options.dynamoEndpoint ? { endpoint: options.dynamoEndpoint } : {}),
      requestHandler: httpHandler(),
    }),
    kinesis: new KinesisClient({
      ...common,
      ...(options.kinesisEndpoint ? { endpoint: options.kinesisEndpoint } : {}),
      requestHandler: httpHandler(),
    }),
  };
}

export function destroyAdminClients(clients: AdminClients): void {
  clients.dynamodb.destroy();
  clients.kinesis.destroy();
}

// throwOnRequestTimeout: without it, smithy only logs a warning when requestTimeout passes.
const httpHandler = () =>
  new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true });
