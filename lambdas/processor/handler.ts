import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { logger } from '../adapters/logger.js';
import { publishBatchMetrics } from '../adapters/metrics.js';
import { processKinesisBatch } from './process-batch.js';

/**
 * Journey processor: the Kinesis event source mapping invokes it with `ReportBatchItemFailures`
 * on, so the failures it returns make Lambda checkpoint at the lowest failed sequence number
 * and retry from there (Lambda developer guide, "Configuring partial batch response").
 */
export const handler = middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const { batchItemFailures, summary, journeyCounts } = await processKinesisBatch(event.Records);
  logger.info('batch processed', { records: event.Records.length, ...summary });
  const { applied, duplicates, failed, erased } = summary;
  publishBatchMetrics({ applied, duplicates, failed, erased, journeys: journeyCounts });
  return { batchItemFailures };
});
