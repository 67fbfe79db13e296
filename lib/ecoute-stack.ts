import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ActionDispatcher } from './compute/action-dispatcher.js';
import type { EcouteFunctionSettings, LogLevel } from './compute/ecoute-function.js';
import { JourneyProcessor } from './compute/journey-processor.js';
import { PublicApi } from './compute/public-api.js';
import { Sweeper } from './compute/sweeper.js';
import { EcouteData } from './data/ecoute-data.js';

export interface EcouteStackProps extends StackProps {
  /**
   * What happens to the tables, the stream, the failure queues and the log groups when they
   * leave the stack. `DESTROY` suits a throwaway development stack; with `RETAIN`, tables also
   * get deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * Sustained requests per second accepted by the API's default stage.
   * @default 1000
   */
  readonly apiThrottleRateLimit?: number;
  /**
   * Burst of requests accepted by the API's default stage.
   * @default 2000
   */
  readonly apiThrottleBurstLimit?: number;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
}

/**
 * Écoute in one stack: the stateful resources ({@link EcouteData}) and the functions around
 * them: the public API, the journey processor, the action dispatcher and the sweeper.
 *
 * @example
 * new EcouteStack(app, 'Ecoute', { dataRemovalPolicy: RemovalPolicy.DESTROY, logLevel: 'DEBUG' });
 */
export class EcouteStack extends Stack {
  readonly data: EcouteData;
  readonly api: PublicApi;
  readonly processor: JourneyProcessor;
  readonly dispatcher: ActionDispatcher;
  readonly sweeper: Sweeper;

  constructor(scope: Construct, id: string, props: EcouteStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.data = new EcouteData(this, 'Data', { removalPolicy });

    const settings: EcouteFunctionSettings = {
      data: this.data,
      logLevel: props.logLevel ?? 'INFO',
      logRemovalPolicy: removalPolicy,
    };
    this.api = new PublicApi(this, 'Api', {
      ...settings,
      throttleRateLimit: props.apiThrottleRateLimit ?? 1000,
      throttleBurstLimit: props.apiThrottleBurstLimit ?? 2000,
    });
    this.processor = new JourneyProcessor(this, 'Processor', settings);
    this.dispatcher = new ActionDispatcher(this, 'Dispatcher', settings);
    this.sweeper = new Sweeper(this, 'Sweeper', settings);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the public API' });
    new CfnOutput(this, 'EventsStreamName', { value: this.data.events.stream.streamName });
    new CfnOutput(this, 'ConfigTableName', { value: this.data.config.table.tableName });
    new CfnOutput(this, 'CustomersTableName', { value: this.data.customers.table.tableName });
    new CfnOutput(this, 'ProcessorFailureQueueUrl', { value: this.data.processorFailures.queue.queueUrl });
    new CfnOutput(this, 'DispatcherFailureQueueUrl', {
      value: this.data.dispatcherFailures.queue.queueUrl,
    });
  }
}
