import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import pMap from 'p-map';
import { Action } from '../../schemas/action.js';
import { logger } from '../adapters/logger.js';
import { publishDeliveryMetrics } from '../adapters/metrics.js';
import { attemptDelivery, type DeliveryAttempt } from './deliver-action.js';
import { countDeliveries } from './delivery-counts.js';

/** Deliveries wait on remote webhooks: overlap them, within reason. */
const CONCURRENT_DELIVERIES = 10;

/**
 * Dispatcher: invoked by the customers table's stream for each newly written action (the
 * event source mapping filters INSERTs of `ACTION#` items) and makes the first delivery
 * attempt at once. A record whose bookkeeping fails is reported as a batch item failure and
 * retried; a failed webhook call is not a failure here, it is recorded and retried by the
 * sweeper.
 */
export async function dispatchNewActions(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return dispatchRecords(event.Records, CONCURRENT_DELIVERIES);
}

/**
 * The dispatcher's work on a batch of stream records, `concurrency` deliveries at a time (the
 * bench varies it); the attempts' outcomes and latencies are published as metrics.
 */
export async function dispatchRecords(
  records: DynamoDBRecord[],
  concurrency: number,
): Promise<DynamoDBBatchResponse> {
  const attempts: DeliveryAttempt[] = [];
  const failures = await pMap(
    records,
    async (record) => {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || image === undefined) return null;
      const item = unmarshall(image as Record<string, AttributeValue>);
      if (typeof item.sk !== 'string' || !item.sk.startsWith('ACTION#')) return null;
      try {
        const action = Action.parse(item.action);
        attempts.push(
          await attemptDelivery({ pk: String(item.pk), sk: item.sk }, action.delivery.attempts, new Date()),
        );
        return null;
      } catch (error) {
        logger.error('dispatch failed', { error: error as Error });
        return record.dynamodb?.SequenceNumber ?? null;
      }
    },
    { concurrency },
  );
  publishDeliveryMetrics(countDeliveries(attempts));
  return {
    batchItemFailures: failures
      .filter((id): id is string => id !== null)
      .map((itemIdentifier) => ({ itemIdentifier })),
  };
}

export const handler = middy(dispatchNewActions);
