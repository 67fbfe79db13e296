/**
 * Ingest figures for `npm run bench` (bench/run.ts calls `benchIngest`):
 *
 * 1. The ingest function in-process, batches of 100 Segment-shaped track calls: events/s and CPU
 *    µs per event for parse, validate, authenticate (warm write-key cache), normalise and
 *    serialise for Kinesis. The stream write is replaced by a function that serialises the
 *    records exactly as the real adapter does and counts their bytes (`createIngestHandler`'s
 *    `putRecords` seam), and the quota by one that always allows: only the function's own CPU.
 *    Plain JSON and gzip bodies.
 * 2. The same with the real adapters, against kinesalite and DynamoDB Local (quota included).
 * 3. Through the local HTTP server with autocannon: requests/s, events/s, p50/p99 latency, for
 *    `/v1/batch` (100 calls) and `/v1/track` (one call).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

type Report = (measure: string, value: string) => void;

const BATCH = 100;

/** A batch as @segment/analytics-node sends it: context.library, messageId, timestamps, sentAt. */
function segmentBatch(size: number): string {
  const sentAt = new Date().toISOString();
  return JSON.stringify({
    batch: Array.from({ length: size }, (_, i) => ({
      type: 'track',
      userId: `bench-user-${i % 20}`,
      event: 'Product Viewed',
      properties: { sku: `SKU-${i}`, category: 'shoes', price: 89.9, currency: 'EUR', position: i },
      context: { library: { name: '@segment/analytics-node', version: '3.1.0' }, locale: 'fr-FR' },
      integrations: {},
      messageId: `node-next-${Date.now()}-${randomUUID()}`,
      timestamp: sentAt,
      _metadata: { nodeVersion: '20.20.2', jsRuntime: 'node' },
    })),
    writeKey: undefined,
    sentAt,
  });
}

function batchEvent(writeKey: string, body: string, gzip: boolean): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    'content-type': 'application/json',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  return {
    version: '2.0',
    routeKey: 'POST /v1/batch',
    rawPath: '/v1/batch',
    rawQueryString: '',
    headers,
    requestContext: {
      http: { method: 'POST', path: '/v1/batch' },
    } as APIGatewayProxyEventV2['requestContext'],
    body: gzip ? gzipSync(body).toString('base64') : body,
    isBase64Encoded: gzip,
  };
}

const perSecond = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');

async function measureHandler(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>,
  events: APIGatewayProxyEventV2[],
  requests: number,
) {
  const context = {} as Context;
  for (let i = 0; i < 200; i += 1)
    await handler(events[i % events.length] as APIGatewayProxyEventV2, context);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < requests; i += 1) {
    const result = (await handler(events[i % events.length] as APIGatewayProxyEventV2, context)) as {
      statusCode: number;
    };
    if (result.statusCode !== 200) throw new Error(`ingest answered ${result.statusCode}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const eventCount = requests * BATCH;
  return {
    eventsPerSecond: perSecond(eventCount, seconds),
    cpuMicrosPerEvent: (cpu.user + cpu.system) / eventCount,
  };
}

/** The ingest function alone, in this process, against emulators that nothing else uses. */
async function inProcess(report: Report): Promise<void> {
  const { localAwsEnvironment, startEmulators } = await import('../scripts/local/emulators.js');
  const { provisionResources } = await import('../scripts/local/provision.js');
  const emulators = await startEmulators();
  Object.assign(process.env, localAwsEnvironment(emulators), {
    CONFIG_TABLE: 'bench-config',
    CUSTOMERS_TABLE: 'bench-customers',
    EVENTS_STREAM: 'bench-events',
  });
  const { resetEnvForTests } = await import('../lambdas/adapters/env.js');
  const { resetClientsForTests } = await import('../lambdas/adapters/aws-clients.js');
  resetEnvForTests();
  resetClientsForTests();
  try {
    await provisionResources({
      configTable: 'bench-config',
      customersTable: 'bench-customers',
      eventsStream: 'bench-events',
    });
    const { putTenant, putWriteKey } = await import('../lambdas/adapters/config-store.js');
    const { encodeStreamRecord } = await import('../lambdas/adapters/event-stream.js');
    const { createIngestHandler, handler: realHandler } = await import('../lambdas/ingest/handler.js');
    const writeKey = `wk_bench_${randomUUID()}`;
    // The quota is counted (real adapters) but never reached: it is not what is measured.
    await putTenant({ tenantId: 'bench', name: 'Bench', limits: { eventsPerSecond: 1_000_000 } });
    await putWriteKey('bench', writeKey, new Date());

    const bodies = Array.from({ length: 20 }, () => segmentBatch(BATCH));
    let bytes = 0;
    let records = 0;
    const withoutNetwork = createIngestHandler({
      putRecords: async (written) => {
        for (const record of written) {
          const entry = encodeStreamRecord(record);
          bytes += (entry.Data?.byteLength ?? 0) + (entry.PartitionKey?.length ?? 0);
          records += 1;
        }
      },
      consumeEventQuota: async () => ({ allowed: true }),
      now: () => new Date(),
      newMessageId: randomUUID,
    });

    for (const gzip of [false, true]) {
      const events = bodies.map((body) => batchEvent(writeKey, body, gzip));
      bytes = 0;
      records = 0;
      const { eventsPerSecond, cpuMicrosPerEvent } = await measureHandler(withoutNetwork, events, 2_000);
      report(
        `ingest in-process, batch of ${BATCH}, ${gzip ? 'gzip' : 'JSON'} body, no network`,
        `${eventsPerSecond} events/s, ${cpuMicrosPerEvent.toFixed(1)} µs CPU per event`,
      );
      if (!gzip) {
        report(
          'ingest, bytes to Kinesis per event',
          `${Math.round(bytes / records)} B (data + partition key)`,
        );
        report(
          'ingest, request body bytes per event',
          `${Math.round(Buffer.byteLength(bodies[0] ?? '') / BATCH)} B`,
        );
      }
    }

    const real = await measureHandler(
      realHandler as never,
      bodies.map((body) => batchEvent(writeKey, body, false)),
      300,
    );
    report(
      `ingest in-process, batch of ${BATCH}, kinesalite + DynamoDB Local`,
      `${real.eventsPerSecond} events/s, ${real.cpuMicrosPerEvent.toFixed(1)} µs CPU per event (SDK calls included)`,
    );
  } finally {
    resetClientsForTests();
    await emulators.stop();
  }
}

/** The whole local stack (its stream pollers included), loaded over HTTP by autocannon. */
async function throughHttp(report: Report): Promise<void> {
  const { startLocalStack } = await import('../scripts/local/local-stack.js');
  const { clearConfigCaches, loadTenant, putTenant } = await import('../lambdas/adapters/config-store.js');
  const stack = await startLocalStack({
    port: 0,
    aws: { start: {} },
    dataDir: mkdtempSync(path.join(tmpdir(), 'bench-ingest-')),
    print: () => undefined,
  });
  try {
    const tenant = await loadTenant(stack.tenantId);
    if (tenant === null) throw new Error('the demo tenant is missing');
    await putTenant({ ...tenant, limits: { eventsPerSecond: 1_000_000 } });
    // The ingest handler runs in this process: seen at once, not after its 30 s settings cache
    // (until then the demo's 1,000 events/s quota answered most batches with 429).
    clearConfigCaches();
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    const single = JSON.stringify({
      userId: 'bench-user',
      event: 'Product Viewed',
      properties: { sku: 'SKU-1' },
    });
    for (const [route, body, events] of [
      ['/v1/batch', segmentBatch(BATCH), BATCH],
      ['/v1/track', single, 1],
    ] as const) {
      const result = await autocannon({
        url: `${stack.url}${route}`,
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
        connections: 10,
        duration: 8,
      });
      report(
        `local HTTP server ${route} (${events} event${events > 1 ? 's' : ''}), autocannon 10 connections`,
        `${Math.round(result.requests.average).toLocaleString('en')} requests/s ` +
          `(${Math.round(result.requests.average * events).toLocaleString('en')} events/s), ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms` +
          (result.non2xx > 0 ? `, ${result.non2xx} answers not 2xx` : ''),
      );
    }
  } finally {
    await stack.stop();
  }
}

export async function benchIngest(report: Report): Promise<void> {
  // A warm function keeps its write keys and tenants cached; so does this one, for the whole run.
  process.env.CONFIG_CACHE_SECONDS = '60';
  await inProcess(report);
  await throughHttp(report);
}
