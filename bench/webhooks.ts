/**
 * Webhook dispatch throughput: actions/s from the customers table's stream record (an INSERT of
 * an `ACTION#` item, shaped as Lambda hands it over) to the receiver's 2xx, with the dispatcher
 * in process against DynamoDB Local (claim + delivered bookkeeping, two conditional updates per
 * action) and a signing-checking receiver on loopback. Side by side: one delivery at a time vs
 * the dispatcher's 10, with an instant receiver and with one that takes 20 ms to answer (closer
 * to a real endpoint across the internet).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import pMap from 'p-map';

type Report = (measure: string, value: string) => void;

async function startReceiver(delayMs: number, secret: string) {
  const { verifyWebhookSignature, SIGNATURE_HEADER } = await import('../lambdas/core/webhook-signature.js');
  let received = 0;
  let badSignatures = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[SIGNATURE_HEADER];
      if (!verifyWebhookSignature(secret, body, String(header), Math.floor(Date.now() / 1_000)))
        badSignatures += 1;
      received += 1;
      setTimeout(() => response.writeHead(200).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    counts: () => ({ received, badSignatures }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function benchWebhookDispatch(report: Report): Promise<void> {
  const { startEmulators, localAwsEnvironment } = await import('../scripts/local/emulators.js');
  const { provisionResources } = await import('../scripts/local/provision.js');
  const { resetEnvForTests } = await import('../lambdas/adapters/env.js');
  const { dynamo, resetClientsForTests } = await import('../lambdas/adapters/aws-clients.js');
  const { putTenant, clearConfigCaches } = await import('../lambdas/adapters/config-store.js');
  const { putConfigDocument } = await import('../lambdas/adapters/config-document-store.js');
  const { actionSortKey, customerPartition, retryBucketOf } = await import(
    '../lambdas/adapters/customer-store.js'
  );
  const { retryQueue } = await import('../lambdas/adapters/table-design.js');
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dispatchRecords } = await import('../lambdas/dispatcher/handler.js');
  const { postToWebhook } = await import('../lambdas/adapters/webhook-client.js');

  const emulators = await startEmulators({ dynamoPort: 0, kinesisPort: 0 });
  const secret = `whsec_${randomUUID()}`;
  try {
    const names = {
      configTable: 'bench-wh-config',
      customersTable: 'bench-wh-customers',
      eventsStream: 'bench-wh-events',
    };
    Object.assign(process.env, localAwsEnvironment(emulators), {
      CONFIG_TABLE: names.configTable,
      CUSTOMERS_TABLE: names.customersTable,
      EVENTS_STREAM: names.eventsStream,
      CONFIG_CACHE_SECONDS: '600',
      ALLOW_PRIVATE_WEBHOOKS: 'true',
    });
    resetEnvForTests();
    resetClientsForTests();
    clearConfigCaches();
    await provisionResources(names);

    /** Writes `count` new actions as the processor does and returns their INSERT records. */
    const newActions = async (tenantId: string, count: number): Promise<DynamoDBRecord[]> => {
      const firedAt = new Date().toISOString();
      return pMap(
        Array.from({ length: count }, (_, i) => i),
        async (i) => {
          const customerId = `customer-${i}`;
          const actionId = createHash('sha256').update(`${tenantId}/${i}`).digest('hex').slice(0, 32);
          const item = {
            pk: customerPartition(tenantId, customerId),
            sk: actionSortKey({ actionId }),
            action: {
              actionId,
              tenantId,
              customerId,
              journeyId: 'cart-reminder',
              journeyVersion: 1,
              action: 'send-reminder',
              channel: 'email',
              payload: { template: 'cart-1', total: 80 },
              firedAt,
              triggeredBy: { messageId: `m-${i}`, event: 'Cart Abandoned' },
              delivery: { status: 'pending', attempts: 0 },
            },
            queue: retryQueue(retryBucketOf(actionId)),
            queuedAt: new Date(Date.now() + 60_000).toISOString(),
          };
          await dynamo().send(new PutCommand({ TableName: names.customersTable, Item: item }));
          return {
            eventName: 'INSERT',
            dynamodb: { NewImage: marshall(item) as never, SequenceNumber: String(i) },
          } satisfies DynamoDBRecord;
        },
        { concurrency: 16 },
      );
    };

    for (const delayMs of [0, 20]) {
      const receiver = await startReceiver(delayMs, secret);
      try {
        if (delayMs === 0) {
          // The HTTP part alone (sign, POST over a kept-alive connection, 2xx), to see what the
          // DynamoDB bookkeeping adds.
          const posts = 1_000;
          const started = process.hrtime.bigint();
          for (let i = 0; i < posts; i += 1)
            await postToWebhook({ url: receiver.url, secret }, '{"bench":true}', `key-${i}`, new Date(), {
              timeoutMs: 5_000,
              allowPrivate: true,
            });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          report(
            'webhook POST alone, 1 at a time',
            `${Math.round(posts / seconds).toLocaleString('en')} posts/s`,
          );
        }
        for (const concurrency of [1, 10]) {
          const tenantId = `bench-${delayMs}-${concurrency}`;
          await putTenant({ tenantId, name: tenantId, webhooks: { webhook: { url: receiver.url, secret } } });
          // The send gate reads consent before each POST: these customers consent by the tenant's default.
          await putConfigDocument(
            tenantId,
            'settings',
            { consentDefaults: { marketing: true }, channelConsentDefaults: { email: true } },
            0,
            {
              by: 'bench',
              now: new Date(),
              changes: [],
              truncated: false,
            },
          );
          const count = delayMs === 0 ? 1_000 : concurrency === 1 ? 200 : 1_000;
          const records = await newActions(tenantId, count);
          const before = receiver.counts().received;
          const started = process.hrtime.bigint();
          // Lambda hands the dispatcher batches of up to 10 records (lib/compute/action-dispatcher.ts).
          for (let i = 0; i < records.length; i += 10) {
            const result = await dispatchRecords(records.slice(i, i + 10), concurrency);
            if (result.batchItemFailures.length > 0) throw new Error('dispatch reported failures');
          }
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const delivered = receiver.counts().received - before;
          if (delivered !== count || receiver.counts().badSignatures > 0)
            throw new Error(
              `receiver got ${delivered} of ${count} (bad signatures: ${receiver.counts().badSignatures})`,
            );
          report(
            `webhook dispatch, receiver answering in ${delayMs} ms, ${concurrency} at a time`,
            `${Math.round(count / seconds).toLocaleString('en')} actions/s (${count} actions, stream record → 2xx, ` +
              `claim + delivered bookkeeping in DynamoDB Local, signature checked by the receiver)`,
          );
        }
      } finally {
        await receiver.close();
      }
    }
  } finally {
    await emulators.stop();
  }
}
