import type { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CONFIG_TABLE, CUSTOMERS_TABLE, EVENTS_STREAM } from '../../lambdas/adapters/table-design.js';
import { ConfigStore } from './config-store.js';
import { CustomerStore } from './customer-store.js';
import { DataKey } from './data-key.js';
import { EventStream } from './event-stream.js';
import { FailureQueue } from './failure-queue.js';

export interface EcouteDataProps {
  /** Applies to every resource that holds data: tables, stream, failure queues. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Everything in Écoute that holds data, and nothing that runs code: the events stream, the
 * config and customers tables, and the queues that keep the batches stream consumers gave up
 * on. Kept apart from the functions so that refactoring the stateless side can never replace
 * a table, and so that it can move to its own stack unchanged if deployments ever need it.
 *
 * Construct ids come from `table-design.ts`: changing them would replace the resources.
 */
export class EcouteData extends Construct {
  readonly events: EventStream;
  readonly config: ConfigStore;
  readonly customers: CustomerStore;
  /** Batches of the events stream the journey processor could not apply. */
  readonly processorFailures: FailureQueue;
  /** Batches of the customers table's stream the action dispatcher could not handle. */
  readonly dispatcherFailures: FailureQueue;
  /** The customer-managed key of everything above. */
  readonly dataKey: DataKey;
  /**
   * Salt of the erasure tombstones' keys (lambdas/adapters/erasure-store.ts): generated once per
   * deployment, never shown; a tombstone cannot be linked to a guessed customer id without it.
   */
  readonly erasureSalt: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: EcouteDataProps) {
    super(scope, id);
    const { removalPolicy } = props;
    this.dataKey = new DataKey(this, 'DataKey', { removalPolicy });
    const encryptionKey = this.dataKey.key;
    this.events = new EventStream(this, EVENTS_STREAM.logicalName, { removalPolicy, encryptionKey });
    this.config = new ConfigStore(this, CONFIG_TABLE.logicalName, { removalPolicy, encryptionKey });
    this.customers = new CustomerStore(this, CUSTOMERS_TABLE.logicalName, { removalPolicy, encryptionKey });
    this.processorFailures = new FailureQueue(this, 'ProcessorFailures', { removalPolicy, encryptionKey });
    this.dispatcherFailures = new FailureQueue(this, 'DispatcherFailures', { removalPolicy, encryptionKey });
    this.erasureSalt = new secretsmanager.Secret(this, 'ErasureSalt', {
      description: 'Écoute: salt of erasure tombstone keys',
      encryptionKey,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
  }
}
