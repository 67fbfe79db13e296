import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { EcouteFunction, type EcouteFunctionSettings } from './ecoute-function.js';

/**
 * The sweeper: every minute, reads the deliveries that are due for a retry from the customers
 * table's sparse `delivery-queue` index (no scan) and moves them on.
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
      description: 'Sweeper: retries due webhook deliveries, every minute',
      memorySize: 512,
      // Under the one-minute period, so that a slow run does not overlap the next one.
      timeout: Duration.seconds(50),
    });
    const fn = this.function.function;
    data.config.table.grantReadData(fn);
    // Query: the delivery-queue index; GetItem: consent check before a retry; UpdateItem: outcome.
    data.customers.table.grant(fn, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    // Lambda retries a failed asynchronous invocation twice by default; not this one.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs the Écoute sweeper',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
