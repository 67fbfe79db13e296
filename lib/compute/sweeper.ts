import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { EcouteFunction, type EcouteFunctionSettings } from './ecoute-function.js';

/**
 * The sweeper: every minute, reads the deliveries that are due for a retry from the customers
 * table's sparse `delivery-queue` index and moves them on, and reads the journey timers that are
 * due from the sparse `timer-due` index and puts a timer record for each into the events stream
 * (never a scan: its work grows with what is due, not with what is pending).
 *
 * A run that fails is not retried: the next one starts a minute later and finds the same
 * items, so retrying would only make two runs overlap.
 */
export class Sweeper extends Construct {
  readonly function: EcouteFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, settings: EcouteFunctionSettings) {
    super(scope, id);
    const { data } = settings;

    this.function = new EcouteFunction(this, 'Function', {
      ...settings,
      name: 'sweeper',
      description: 'Sweeper: fires due journey timers and retries due webhook deliveries, every minute',
      memorySize: 512,
      // Under the one-minute period, so that a slow run does not overlap the next one.
      timeout: Duration.seconds(50),
    });
    const fn = this.function.function;
    data.config.table.grantReadData(fn);
    // Query: the delivery-queue and timer-due indexes; GetItem: consent check before a retry;
    // UpdateItem: a delivery's outcome, a timer marked fired.
    data.customers.table.grant(fn, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // Timer records go back through the stream, so the processor stays the only writer of a
    // customer. PutRecords alone: the stream is encrypted with the AWS managed key, for which
    // producers need no KMS permission (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
    data.events.stream.grant(fn, 'kinesis:PutRecords');

    // Lambda retries a failed asynchronous invocation twice by default; not this one.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs the Écoute sweeper',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
