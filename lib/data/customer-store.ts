import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CUSTOMERS_TABLE } from '../../lambdas/adapters/table-design.js';
import { encryptWithKey, tableDefaults } from './table-defaults.js';

export interface CustomerStoreProps {
  /** What CloudFormation does with the table when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The customer-managed key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The customers table: per-customer state and the action outbox under one partition key per
 * customer. Its stream (new images only) feeds the dispatcher with newly written actions; the
 * sparse `delivery-queue` index holds the actions waiting for a retry or dead-lettered; the
 * sparse `timer-due` index holds the journey timers that have not fired yet, by due time; items
 * carrying `expiresAt` (epoch seconds) are removed by DynamoDB's TTL.
 *
 * Key layout in `lambdas/adapters/table-design.ts`.
 */
export class CustomerStore extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CustomerStoreProps) {
    super(scope, id);
    const { deliveryQueueIndex, timerDueIndex } = CUSTOMERS_TABLE;
    this.table = new dynamodb.TableV2(this, 'Resource', {
      ...tableDefaults(props.removalPolicy),
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: CUSTOMERS_TABLE.timeToLiveAttribute,
      globalSecondaryIndexes: [
        {
          indexName: deliveryQueueIndex.name,
          // `queue` is `retry#<bucket>` or `dead`; `queuedAt` is an ISO-8601 timestamp, so string
          // order is time order and the sweeper can ask for `queuedAt <= now`.
          partitionKey: { name: deliveryQueueIndex.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: deliveryQueueIndex.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          indexName: timerDueIndex.name,
          // `timerQueue` is `timers#<bucket>`, present only until the timer fires; `dueAt` is
          // ISO-8601, so the sweeper asks for `dueAt <= now`. Only the `timer` attribute is
          // projected: all the sweeper needs to put the timer's record, and no more storage.
          partitionKey: { name: timerDueIndex.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: timerDueIndex.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...timerDueIndex.projectedAttributes],
        },
      ],
    });
    encryptWithKey(this.table, props.encryptionKey);
  }
}
