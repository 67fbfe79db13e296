import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesis } from '../../lambdas/adapters/aws-clients.js';
import type { BatchResponse } from '../../scripts/local/batch-retries.js';
import { LocalDeadLetterStore } from '../../scripts/local/dead-letter-store.js';
import { StreamPoller } from '../../scripts/local/stream-poller.js';
import { kinesisShards } from '../../scripts/local/stream-sources.js';
import { pointAdaptersAt } from './support/adapters.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { eventually } from './support/webhook-receiver.js';

const settings = {
  batchSize: 10,
  batchingWindowMs: 20,
  idlePollMs: 20,
  shardDiscoveryMs: 500,
  maxRetryAttempts: 2,
  bisectOnError: true,
  retryDelayMs: 0,
};

const decode = (record: KinesisStreamRecord) =>
  JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as { n: number; poison?: boolean };

describe('the local event source mapping, over kinesalite', () => {
  let resources: FreshResources;

  beforeAll(async () => {
    resources = await freshResources('poller');
    pointAdaptersAt(resources);
  });
  afterAll(async () => deleteResources(resources));

  it('delivers every record in order per key, retries a poison record a bounded number of times, then dead-letters it', async () => {
    const records = Array.from({ length: 30 }, (_, n) => ({ n, poison: n === 12 }));
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: resources.eventsStream,
        Records: records.map((record) => ({
          PartitionKey: 'one-customer',
          Data: Buffer.from(JSON.stringify(record)),
        })),
      }),
    );

    const applied: number[] = [];
    const invocationsWithPoison: number[] = [];
    const invoke = async (batch: KinesisStreamRecord[]): Promise<BatchResponse> => {
      const failures: { itemIdentifier: string }[] = [];
      for (const record of batch) {
        const body = decode(record);
        if (body.poison) {
          invocationsWithPoison.push(body.n);
          failures.push({ itemIdentifier: record.kinesis.sequenceNumber });
          // Like the processor: records after a failed one in the same key are retried with it.
          break;
        }
        if (!applied.includes(body.n)) applied.push(body.n);
      }
      return { batchItemFailures: failures };
    };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ecoute-dlq-'));
    const deadLetters = new LocalDeadLetterStore(dataDir);
    const poller = new StreamPoller(
      kinesisShards(kinesis(), resources.eventsStream, process.env.AWS_REGION ?? 'eu-west-1'),
      invoke,
      settings,
      deadLetters.sink('processor', (record: KinesisStreamRecord) => record.kinesis.sequenceNumber),
    );
    poller.start();
    try {
      await eventually(() => (applied.length === 29 ? true : undefined));
    } finally {
      await poller.stop();
    }

    // Every healthy record was applied exactly once, the poison one never.
    expect([...applied].sort((a, b) => a - b)).toEqual(records.filter((r) => !r.poison).map((r) => r.n));
    // Bisection isolated the poison record; alone, it was retried exactly maxRetryAttempts times.
    expect(deadLetters.entries).toHaveLength(1);
    const [entry] = deadLetters.entries;
    expect(entry?.records).toHaveLength(1);
    expect(decode(entry?.records[0] as KinesisStreamRecord).n).toBe(12);
    expect(entry?.attempts).toBe(1 + settings.maxRetryAttempts);
    expect(entry?.reason).toContain('failed record');
    expect(invocationsWithPoison.length).toBeGreaterThan(settings.maxRetryAttempts);
    expect(readdirSync(path.join(dataDir, 'dead-letters'))).toHaveLength(1);
  });
});
