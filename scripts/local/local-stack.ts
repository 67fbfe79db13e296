import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import { CONFIG_TABLE, CUSTOMERS_TABLE, EVENTS_STREAM } from '../../lambdas/adapters/table-design.js';
import { HTTP_ROUTES } from '../../lambdas/http/routes.js';
import { DemoSeed } from '../../schemas/seed.js';
import { LocalDeadLetterStore } from './dead-letter-store.js';
import { DEMO_WEBHOOK_PATH, DemoWebhookInbox } from './demo-webhook.js';
import { localAwsEnvironment, type RunningEmulators, startEmulators } from './emulators.js';
import { send, startHttpGateway } from './http-gateway.js';
import { assertPortFree } from './ports.js';
import { provisionResources, type ResourceNames } from './provision.js';
import { type PollerSettings, StreamPoller } from './stream-poller.js';
import { dynamoStreamsClient, dynamoTableStream, kinesisShards } from './stream-sources.js';

export interface LocalStackOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** Where the emulators are: started here, or already running (LocalStack, tests' own emulators). */
  aws: { start: { dynamoPort?: number; kinesisPort?: number } } | { external: true };
  names?: ResourceNames;
  demo?: { writeKey?: string; seedFile?: string; webhookUrl?: string; webhookSecret?: string };
  dataDir: string;
  poller?: Partial<PollerSettings>;
  sweepIntervalMs?: number;
  print?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  tenantId: string;
  writeKey: string;
  /** An API key of the demo tenant with the `admin` scope, for the config API (Bearer). */
  adminKey: string;
  names: ResourceNames;
  deadLetters: LocalDeadLetterStore;
  demoInbox: DemoWebhookInbox;
  stop(): Promise<void>;
}

/** Local settings mirror the CDK stack's event source mappings, with shorter waits. */
const DEFAULT_POLLER: PollerSettings = {
  batchSize: 100,
  batchingWindowMs: 50,
  idlePollMs: 50,
  shardDiscoveryMs: 2_000,
  maxRetryAttempts: 3,
  bisectOnError: true,
  retryDelayMs: 100,
};

const DEFAULT_NAMES: ResourceNames = {
  configTable: CONFIG_TABLE.defaultName,
  customersTable: CUSTOMERS_TABLE.defaultName,
  eventsStream: EVENTS_STREAM.defaultName,
};

/**
 * Écoute on one machine: the same Lambda handlers as in AWS, wired by a small host. Starts the
 * emulators (unless told they run already), creates tables and stream, seeds the demo tenant,
 * serves the HTTP API, polls the stream and the customers table's stream like Lambda's event
 * source mappings, and runs the sweeper on an interval. `stop()` ends all of it.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const print = options.print ?? ((line: string) => console.log(line));
  const names = options.names ?? DEFAULT_NAMES;
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
    stoppers.length = 0;
  };

  try {
    if (options.port !== 0)
      await assertPortFree(options.port, 'the Écoute HTTP API', 'set PORT to choose another');
    if ('start' in options.aws) {
      const emulators: RunningEmulators = await startEmulators({ ...options.aws.start });
      stoppers.push(() => emulators.stop());
      Object.assign(process.env, localAwsEnvironment(emulators));
    }
    const deliveryBackoff = process.env.DELIVERY_BACKOFF_BASE_SECONDS ?? '2';
    Object.assign(process.env, {
      CONFIG_TABLE: names.configTable,
      CUSTOMERS_TABLE: names.customersTable,
      EVENTS_STREAM: names.eventsStream,
      CONFIG_CACHE_SECONDS: process.env.CONFIG_CACHE_SECONDS ?? '1',
      DELIVERY_BACKOFF_BASE_SECONDS: deliveryBackoff,
      // Locally a journey may wait seconds, to watch it run; in AWS the shortest wait is a minute.
      MIN_WAIT_SECONDS: process.env.MIN_WAIT_SECONDS ?? '1',
      // The demo receiver and any test receiver listen on loopback over http.
      ALLOW_PRIVATE_WEBHOOKS: process.env.ALLOW_PRIVATE_WEBHOOKS ?? 'true',
      // EMF lines are for CloudWatch: locally they would flood the console, one per journey per batch.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    });
    // The handlers read their settings on first use: load them only now that the settings are set.
    const lambdas = await loadLambdas();
    lambdas.resetForNewEnvironment();

    const { customersStreamArn } = await provisionResources(names);

    const webhookSecret = options.demo?.webhookSecret ?? randomBytes(24).toString('hex');
    const demoInbox = new DemoWebhookInbox(webhookSecret, print);
    const server: Server = await startHttpGateway({
      port: options.port,
      host: options.host,
      routes: HTTP_ROUTES,
      handlers: {
        ingest: lambdas.ingest,
        'customer-api': lambdas.customerApi,
        'decision-api': lambdas.decisionApi,
        'config-api': lambdas.configApi,
        'privacy-api': lambdas.privacyApi,
      },
      localRoutes: [demoInbox.route(), healthRoute],
    });
    stoppers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.closeIdleConnections?.();
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

    const seed = DemoSeed.parse(
      JSON.parse(readFileSync(options.demo?.seedFile ?? defaultSeedFile(), 'utf8')),
    );
    const writeKey = options.demo?.writeKey ?? `wk_demo_${randomBytes(12).toString('hex')}`;
    const adminKey = await lambdas.seedTenant(seed, writeKey, {
      url: options.demo?.webhookUrl ?? `${url}${DEMO_WEBHOOK_PATH}`,
      secret: webhookSecret,
    });

    const region = process.env.AWS_REGION ?? 'eu-west-1';
    const deadLetters = new LocalDeadLetterStore(options.dataDir);
    const settings = { ...DEFAULT_POLLER, ...options.poller };
    const onError = (error: unknown) => print(`poller error: ${(error as Error).message}`);

    const processor = new StreamPoller<KinesisStreamRecord>(
      kinesisShards(lambdas.kinesisClient(), names.eventsStream, region),
      (records) => lambdas.processor({ Records: records }),
      settings,
      deadLetters.sink('processor', (record: KinesisStreamRecord) => record.kinesis.sequenceNumber),
      undefined,
      onError,
    );
    const streams = dynamoStreamsClient();
    const dispatcher = new StreamPoller<DynamoDBRecord>(
      dynamoTableStream(streams, customersStreamArn, region),
      (records) => lambdas.dispatcher({ Records: records }),
      settings,
      deadLetters.sink('dispatcher', (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? ''),
      // The same filter as the CDK stack's: only newly inserted actions.
      (record) => record.eventName === 'INSERT' && (record.dynamodb?.Keys?.sk?.S ?? '').startsWith('ACTION#'),
      onError,
    );
    processor.start();
    dispatcher.start();
    stoppers.push(async () => {
      await Promise.all([processor.stop(), dispatcher.stop()]);
      streams.destroy();
    });

    const sweepEvery = options.sweepIntervalMs ?? 1_000;
    let sweeping: Promise<unknown> = Promise.resolve();
    const sweepTimer = setInterval(() => {
      sweeping = sweeping.then(() => lambdas.sweeper().catch(onError));
    }, sweepEvery);
    stoppers.push(async () => {
      clearInterval(sweepTimer);
      await sweeping;
    });

    return { url, tenantId: seed.tenant.tenantId, writeKey, adminKey, names, deadLetters, demoInbox, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const healthRoute = (request: { url?: string }, _body: Buffer, response: Parameters<typeof send>[0]) => {
  if (request.url !== '/health') return false;
  send(response, 200, { status: 'ok' });
  return true;
};

function defaultSeedFile(): string {
  return path.join(
    import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname),
    '../../config/demo.json',
  );
}

async function loadLambdas() {
  const [
    ingest,
    customerApi,
    configApi,
    privacyApi,
    decisionApi,
    processor,
    dispatcher,
    sweeper,
    env,
    clients,
    config,
    apiKeys,
    documents,
    policies,
    catalog,
  ] = await Promise.all([
    import('../../lambdas/ingest/handler.js'),
    import('../../lambdas/customer-api/handler.js'),
    import('../../lambdas/config-api/handler.js'),
    import('../../lambdas/privacy-api/handler.js'),
    import('../../lambdas/decision-api/handler.js'),
    import('../../lambdas/processor/handler.js'),
    import('../../lambdas/dispatcher/handler.js'),
    import('../../lambdas/sweeper/handler.js'),
    import('../../lambdas/adapters/env.js'),
    import('../../lambdas/adapters/aws-clients.js'),
    import('../../lambdas/adapters/config-store.js'),
    import('../../lambdas/adapters/api-key-store.js'),
    import('../../lambdas/adapters/config-document-store.js'),
    import('../../lambdas/adapters/decision-policy-store.js'),
    import('../../lambdas/adapters/action-catalog-store.js'),
  ]);
  const context = {} as never;
  return {
    ingest: ingest.handler as never,
    customerApi: customerApi.handler as never,
    decisionApi: decisionApi.handler as never,
    configApi: configApi.handler as never,
    privacyApi: privacyApi.handler as never,
    processor: (event: { Records: KinesisStreamRecord[] }) => processor.handler(event as never, context),
    dispatcher: (event: { Records: DynamoDBRecord[] }) => dispatcher.handler(event as never, context),
    sweeper: () => sweeper.handler(undefined as never, context),
    kinesisClient: clients.kinesis,
    resetForNewEnvironment() {
      env.resetEnvForTests();
      clients.resetClientsForTests();
      config.clearConfigCaches();
      policies.clearDecisionPolicyCache();
    },
    async seedTenant(seed: DemoSeed, writeKey: string, webhook: { url: string; secret: string }) {
      await config.putTenant({ ...seed.tenant, webhooks: { webhook } });
      await config.putWriteKey(seed.tenant.tenantId, writeKey, new Date());
      for (const journey of seed.journeys) await config.putJourney(seed.tenant.tenantId, journey);
      // Settings only the first time: a marketer's later edits to them are kept across restarts.
      if (
        seed.settings !== undefined &&
        (await documents.getConfigDocument(seed.tenant.tenantId, 'settings')) === null
      ) {
        const audit = { by: 'demo-seed', now: new Date(), changes: [], truncated: false };
        await documents.putConfigDocument(seed.tenant.tenantId, 'settings', seed.settings, 0, audit);
      }
      const existing = new Set((await catalog.listActionDefinitions(seed.tenant.tenantId)).map((a) => a.id));
      for (const action of seed.actions ?? []) {
        if (existing.has(action.id)) continue;
        const stamp = { revision: 1, updatedAt: new Date().toISOString(), updatedBy: 'demo-seed' };
        await catalog.putActionDefinition(seed.tenant.tenantId, { ...action, ...stamp }, undefined, []);
      }
      const admin = await apiKeys.createApiKey(
        seed.tenant.tenantId,
        { name: 'local admin', scopes: ['admin'] },
        'bootstrap',
        new Date(),
      );
      return admin.key;
    },
  };
}
