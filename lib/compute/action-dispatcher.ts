import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { KEY } from '../../lambdas/adapters/table-design.js';
import { EcouteFunction, type EcouteFunctionSettings } from './ecoute-function.js';

/**
 * Sort key prefix of action items in the customers table (`ACTION#<firedAt ISO>#<actionId>`,
 * see `lambdas/adapters/table-design.ts`).
 */
const ACTION_SORT_KEY_PREFIX = 'ACTION#';

/**
 * The action dispatcher: the reading side of the outbox. The customers table's stream invokes
 * it for each newly inserted action (and for nothing else: the filter is evaluated by Lambda
 * before invocation, so state updates cost no invocation), and it sends the signed webhook,
 * with the action id as idempotency key, then records the outcome on the action item. Failed
 * deliveries are re-queued on the `delivery-queue` index for the sweeper; the failure queue
 * only receives batches the function itself could not handle.
 */
export class ActionDispatcher extends Construct {
  readonly function: EcouteFunction;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, settings: EcouteFunctionSettings) {
    super(scope, id);
    const { data } = settings;

    this.function = new EcouteFunction(this, 'Function', {
      ...settings,
      name: 'dispatcher',
      description: 'Action dispatcher: delivers newly fired actions to their webhooks',
      memorySize: 512,
      // A batch of 10 webhooks, each bounded by DELIVERY_TIMEOUT_MS (5 s by default).
      timeout: Duration.seconds(60),
    });
    const fn = this.function.function;
    data.config.table.grantReadData(fn);
    // GetItem: consent is checked again just before sending; UpdateItem: delivery outcome.
    data.customers.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    this.eventSource = new DynamoEventSource(data.customers.table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 5,
      // DynamoDB Streams keep records 24 hours anyway.
      maxRecordAge: Duration.days(1),
      parallelizationFactor: 2,
      onFailure: new SqsDlq(data.dispatcherFailures.queue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { Keys: { [KEY.sort]: { S: lambda.FilterRule.beginsWith(ACTION_SORT_KEY_PREFIX) } } },
        }),
      ],
    });
    fn.addEventSource(this.eventSource);
  }
}
