import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CONFIG_TABLE } from '../../lambdas/adapters/table-design.js';
import { encryptWithKey, tableDefaults } from './table-defaults.js';

export interface ConfigStoreProps {
  /** What CloudFormation does with the table when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The customer-managed key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The config table: tenants, write keys (stored as SHA-256 hashes), published journeys and the
 * tenants' per-second event counters. Every function reads it (through a short cache); tenant
 * tooling writes it, and the ingest function counts events in it (and writes nothing else). Key layout in
 * `lambdas/adapters/table-design.ts`.
 */
export class ConfigStore extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: ConfigStoreProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Resource', {
      ...tableDefaults(props.removalPolicy),
      // Rate-limit counters (one item per tenant per second) remove themselves.
      timeToLiveAttribute: CONFIG_TABLE.timeToLiveAttribute,
    });
    encryptWithKey(this.table, props.encryptionKey);
  }
}
