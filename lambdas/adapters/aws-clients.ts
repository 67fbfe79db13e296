import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * SDK clients, created once per process. Endpoints come only from the SDK's standard
 * variables (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_KINESIS`), so
 * the same code talks to AWS, LocalStack or the local emulators.
 *
 * Kinesis uses the HTTP/1.1 handler: the SDK's default for Kinesis is HTTP/2, which the
 * emulators (kinesalite, kinesis-local) do not speak; HTTP/1.1 costs nothing measurable in AWS.
 */
let documentClient: DynamoDBDocumentClient | undefined;
let kinesisClient: KinesisClient | undefined;

const httpHandler = () =>
  new NodeHttpHandler({
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    // Without it the timeout only logs a warning and a hung call blocks the function until Lambda kills it.
    throwOnRequestTimeout: true,
    httpAgent: { keepAlive: true },
  });

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: httpHandler() }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
}

export function kinesis(): KinesisClient {
  kinesisClient ??= new KinesisClient({ requestHandler: httpHandler() });
  return kinesisClient;
}

/** The local host and tests re-point the clients after changing endpoint variables. */
export function resetClientsForTests(): void {
  documentClient?.destroy();
  kinesisClient?.destroy();
  documentClient = undefined;
  kinesisClient = undefined;
}
