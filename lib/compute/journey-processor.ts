import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { EcouteFunction, type EcouteFunctionSettings } from './ecoute-function.js';

/**
 * The journey processor: reads the events stream in batches, applies each customer's events to
 * their state and journeys (one read and one conditional write per customer per batch), and
 * writes the actions that fire into the customers table's outbox.
 *
 * Failure handling follows the event source mapping's rules
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-errors):
 * the handler reports failed records and Lambda checkpoints at the lowest failed sequence
 * number and retries from there; a batch that keeps failing is bisected to isolate the bad
 * record; after a bounded number of retries or once a record is a day old, the batch's
 * description goes to the processor failure queue and the shard moves on.
 */
export class JourneyProcessor extends Construct {
  readonly function: EcouteFunction;
  readonly eventSource: KinesisEventSource;

  constructor(scope: Construct, id: string, settings: EcouteFunctionSettings) {
    super(scope, id);
    const { data } = settings;

    this.function = new EcouteFunction(this, 'Function', {
      ...settings,
      name: 'processor',
      description: 'Journey processor: applies stream events to customer state and fires actions',
      // More memory is more CPU: a batch of 100 events is parsed, grouped and evaluated here.
      memorySize: 1024,
      timeout: Duration.seconds(60),
    });
    const fn = this.function.function;
    data.config.table.grantReadData(fn);
    data.customers.table.grantReadWriteData(fn);
    // Identity stitching hands a joined id's history to the known customer through the stream.
    data.events.stream.grantWrite(fn);

    this.eventSource = new KinesisEventSource(data.events.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 5,
      // Less than the stream's retention (7 days), so a batch given up on can still be replayed.
      maxRecordAge: Duration.days(1),
      // Two concurrent batches per shard: Lambda still sends all records of one partition key
      // (one customer) to the same batch sequence, so per-customer order holds.
      parallelizationFactor: 2,
      onFailure: new SqsDlq(data.processorFailures.queue),
    });
    fn.addEventSource(this.eventSource);
  }
}
