/**
 * `npm run bench`: the figures the README and the issues ask for, measured side by side in one
 * run on this machine. Never asserted in tests (machines are noisy); read them as ratios.
 *
 * 1. Lambda bundle sizes (esbuild, minified, as the CDK stack bundles them).
 * 2. The pure engine: records/s on one core.
 * 3. Cold `npm start`: seconds until the ready line (emulators started from nothing).
 * 4. Through the local stack over HTTP: events/s from `POST /v1/batch` until every event is in
 *    its customer's state, and actions/s from request to webhook delivery.
 * 5. Durable timers against DynamoDB Local and kinesalite: timers armed/s (written with their
 *    customer's state), then timers/s swept from the due index into the stream, with every
 *    DynamoDB operation counted to show that no Scan is made.
 * 5b. Webhook dispatch (bench/webhooks.ts): actions/s from the table stream's record to the
 *    receiver's 2xx, in-process dispatcher against DynamoDB Local, 1 vs 10 deliveries at a time,
 *    with an instant receiver and a 20 ms one; and the HTTP POST alone.
 * 6. Ingest alone (bench/ingest.ts): in-process events/s and CPU µs per event at batch 100, bytes
 *    written to Kinesis per event, and requests/s with p50/p99 latency through the local HTTP
 *    server (autocannon).
 * 7. The journey engine (bench/engine.ts), bundled as Lambda runs it: events/s on one core with 100
 *    multi-step journeys of ~10 conditions each and state carried over 10,000 customers; the same
 *    conditions in json-rules-engine side by side; DynamoDB units per event at batch 100 with
 *    Zipf-skewed customers; state sizes of a typical and a heavy customer.
 * 8. Arbitration (bench/arbitration.ts): `decide` on 200 candidate actions at one moment, in
 *    decisions/s on one core.
 * 9. The decision API (bench/decision-api.ts): p50/p99 of `GET /v1/decide` at 100 requests/s
 *    through the local HTTP server, and the most it answers with 10 connections.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { benchArbitration } from './arbitration.js';
import { benchDecisionApi } from './decision-api.js';
import { benchEngine } from './engine.js';
import { benchIngest } from './ingest.js';
import { benchWebhookDispatch } from './webhooks.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const results: { measure: string; value: string }[] = [];
const report = (measure: string, value: string) => {
  results.push({ measure, value });
  console.log(`${measure}: ${value}`);
};

async function bundleSizes() {
  for (const fn of ['ingest', 'customer-api', 'decision-api', 'processor', 'dispatcher', 'sweeper']) {
    const result = await build({
      entryPoints: [`lambdas/${fn}/handler.ts`],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      write: false,
      metafile: true,
    });
    const bytes = result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
    report(`bundle ${fn}`, `${(bytes / 1024).toFixed(0)} KiB minified`);
  }
}

async function engineThroughput() {
  const { applyRecordsToCustomer, compileJourneys } = await import('../lambdas/core/engine.js');
  const { DemoSeed } = await import('../schemas/seed.js');
  const { readFileSync } = await import('node:fs');
  const seed = DemoSeed.parse(JSON.parse(readFileSync('config/demo.json', 'utf8')));
  const { consentPolicyOf } = await import('../lambdas/core/consent/consent-policy.js');
  const { consentDefaultsOf, purposesOf } = await import('../schemas/config-api.js');
  const policy = consentPolicyOf(consentDefaultsOf(seed.settings), purposesOf(seed.settings));
  const journeys = compileJourneys(seed.journeys, [], policy);
  const customers = 1_000;
  const perCustomer = 100;
  const batches = Array.from({ length: customers }, (_, c) =>
    Array.from({ length: perCustomer }, (_, i) => ({
      sequenceNumber: String(10n ** 20n + BigInt(c * perCustomer + i)),
      record: {
        kind: 'call' as const,
        tenantId: 'demo',
        customerId: `customer-${c}`,
        receivedAt: new Date(1_790_000_000_000 + i * 1_000).toISOString(),
        call: {
          type: 'track' as const,
          userId: `customer-${c}`,
          event: i % 3 === 0 ? 'Product Viewed' : 'Page Viewed',
          properties: { category: i % 2 === 0 ? 'shoes' : 'bags', total: i },
          messageId: `m-${c}-${i}`,
          timestamp: new Date(1_790_000_000_000 + i * 1_000).toISOString(),
          receivedAt: new Date(1_790_000_000_000 + i * 1_000).toISOString(),
          channel: 'web' as const,
          context: {},
        },
      },
    })),
  );
  const started = process.hrtime.bigint();
  let actions = 0;
  for (const batch of batches) actions += applyRecordsToCustomer(undefined, batch, journeys).actions.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  report(
    'engine, one core',
    `${Math.round((customers * perCustomer) / seconds).toLocaleString('en')} records/s (${actions} actions)`,
  );
}

function coldStart(): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-local.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        DYNAMO_PORT: '0',
        KINESIS_PORT: '0',
        ECOUTE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-')),
      },
    });
    let output = '';
    let ready = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!ready && output.includes('ready on')) {
        ready = true;
        report('cold npm start', `${((Date.now() - started) / 1_000).toFixed(1)} s to the ready line`);
        child.kill('SIGINT');
      }
    });
    child.on('exit', () => (output.includes('ready on') ? resolve() : reject(new Error(output))));
  });
}

async function throughLocalStack() {
  const { startLocalStack } = await import('../scripts/local/local-stack.js');
  const { dynamo } = await import('../lambdas/adapters/aws-clients.js');
  const { readStateItems } = await import('../lambdas/adapters/customer-state-items.js');
  let delivered = 0;
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      delivered += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const stack = await startLocalStack({
    port: 0,
    aws: { start: {} },
    dataDir: mkdtempSync(path.join(tmpdir(), 'bench-stack-')),
    demo: { webhookUrl: `http://127.0.0.1:${port}/hook` },
    print: () => undefined,
  });
  const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
  const send = async (events: unknown[]) => {
    const response = await fetch(`${stack.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: events }),
    });
    if (response.status !== 200) throw new Error(`batch answered ${response.status}`);
  };
  const countApplied = async (customers: string[]) => {
    let total = 0;
    for (const customerId of customers) {
      // The state's items (customer-state-items.ts), read as the processor reads them.
      const { Items } = await dynamo().send(
        new QueryCommand({
          TableName: stack.names.customersTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': `demo#${customerId}`, ':sk': 'STATE' },
          ConsistentRead: true,
        }),
      );
      const read = readStateItems(Items ?? []);
      total += typeof read === 'object' ? Number(read.state.eventCount ?? 0) : 0;
    }
    return total;
  };

  try {
    // Events that match no journey: ingest, stream, one read and one write per customer per batch.
    const customers = Array.from({ length: 200 }, (_, c) => `bench-${c}`);
    const total = 10_000;
    const events = Array.from({ length: total }, (_, i) => ({
      type: 'track',
      userId: customers[i % customers.length],
      event: 'Page Viewed',
      properties: { path: `/p/${i}` },
    }));
    let started = Date.now();
    for (let i = 0; i < events.length; i += 100) await send(events.slice(i, i + 100));
    const ingestSeconds = (Date.now() - started) / 1_000;
    while ((await countApplied(customers)) < total) await new Promise((resolve) => setTimeout(resolve, 200));
    const seconds = (Date.now() - started) / 1_000;
    report(
      'local stack, HTTP batch ingest',
      `${Math.round(total / ingestSeconds).toLocaleString('en')} events/s accepted`,
    );
    report(
      'local stack, HTTP in → state applied',
      `${Math.round(total / seconds).toLocaleString('en')} events/s (${total} events, 200 customers)`,
    );

    // Events that each fire an action delivered to a webhook.
    const withActions = 1_000;
    started = Date.now();
    const firing = Array.from({ length: withActions }, (_, i) => ({
      type: 'track',
      userId: `buyer-${i % 100}`,
      event: 'Product Viewed',
      properties: { category: 'shoes' },
    }));
    for (let i = 0; i < firing.length; i += 100) await send(firing.slice(i, i + 100));
    while (delivered < withActions) await new Promise((resolve) => setTimeout(resolve, 100));
    const actionSeconds = (Date.now() - started) / 1_000;
    report(
      'local stack, HTTP in → webhook delivered',
      `${Math.round(withActions / actionSeconds).toLocaleString('en')} actions/s (${withActions} actions)`,
    );
  } finally {
    await stack.stop();
    receiver.close();
  }
}

async function timerSweep() {
  const { startEmulators, localAwsEnvironment } = await import('../scripts/local/emulators.js');
  const { provisionResources } = await import('../scripts/local/provision.js');
  const { resetEnvForTests } = await import('../lambdas/adapters/env.js');
  const { dynamo, kinesis, resetClientsForTests } = await import('../lambdas/adapters/aws-clients.js');
  const { saveCustomerOutcome } = await import('../lambdas/adapters/customer-store.js');
  const { sweepDueTimers } = await import('../lambdas/sweeper/sweep-timers.js');
  const { default: pMap } = await import('p-map');

  const emulators = await startEmulators({ dynamoPort: 0, kinesisPort: 0 });
  try {
    const names = {
      configTable: 'bench-config',
      customersTable: 'bench-customers',
      eventsStream: 'bench-events',
    };
    Object.assign(process.env, localAwsEnvironment(emulators), {
      CONFIG_TABLE: names.configTable,
      CUSTOMERS_TABLE: names.customersTable,
      EVENTS_STREAM: names.eventsStream,
    });
    resetEnvForTests();
    resetClientsForTests();
    await provisionResources(names);
    // Every operation the adapters send, by name: the sweep must be Queries, Updates and PutRecords only.
    const operations = new Map<string, number>();
    const countOperations = (client: ReturnType<typeof dynamo> | ReturnType<typeof kinesis>) =>
      client.middlewareStack.add(
        (next, context) => (args) => {
          const name = String(context.commandName).replace(/Command$/, '');
          operations.set(name, (operations.get(name) ?? 0) + 1);
          return next(args);
        },
        { step: 'initialize', name: 'countOperations' },
      );
    countOperations(dynamo());
    countOperations(kinesis());

    // 1,000 customers with 10 timers due and 10 pending for tomorrow: half the index is not due.
    const now = new Date();
    const customers = 1_000;
    const due = 10_000;
    let started = Date.now();
    await pMap(
      Array.from({ length: customers }, (_, c) => c),
      async (c) => {
        const customerId = `timer-bench-${c}`;
        const at = now.toISOString();
        const timers = Array.from({ length: 20 }, (_, i) => ({
          timerId: `instance-${c}-${i}:wait`,
          tenantId: 'demo',
          customerId,
          instanceId: `instance-${c}-${i}`,
          dueAt: new Date(now.getTime() + (i < 10 ? -60_000 + i : 86_400_000 + i)).toISOString(),
        }));
        const state = {
          tenantId: 'demo',
          customerId,
          version: 0,
          recentMessageIds: [],
          eventCount: 0,
          firstSeenAt: at,
          lastSeenAt: at,
          journeys: {},
        };
        await saveCustomerOutcome(undefined, state, [], { set: timers, cancel: [] });
      },
      { concurrency: 16 },
    );
    const armSeconds = (Date.now() - started) / 1_000;
    report(
      'timers armed with the state',
      `${Math.round((customers * 20) / armSeconds).toLocaleString('en')} timers/s (${customers} writes of 20 timers)`,
    );

    operations.clear();
    started = Date.now();
    let fired = 0;
    let runs = 0;
    for (;;) {
      const run = await sweepDueTimers(now);
      runs += 1;
      fired += run.fired;
      if (run.fired === 0) break;
    }
    const sweepSeconds = (Date.now() - started) / 1_000;
    if (fired !== due) throw new Error(`swept ${fired} timers, expected ${due}`);
    report(
      'timer sweep into kinesalite',
      `${Math.round(due / sweepSeconds).toLocaleString('en')} timers/s (${due} due of ${customers * 20} pending, ` +
        `${runs} runs, ${sweepSeconds.toFixed(1)} s)`,
    );
    const counted = [...operations].map(([name, count]) => `${name} ${count}`).join(', ');
    report('timer sweep AWS calls', `${counted}; Scan ${operations.get('Scan') ?? 0}`);
  } finally {
    resetClientsForTests();
    await emulators.stop();
  }
}

await bundleSizes();
await engineThroughput();
await benchEngine(report);
benchArbitration(report);
await timerSweep();
await benchWebhookDispatch(report);
await coldStart();
await throughLocalStack();
await benchIngest(report);
await benchDecisionApi(report);
console.log('\nmeasure | value\n--- | ---');
for (const { measure, value } of results) console.log(`${measure} | ${value}`);
process.exit(0);
