import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefaults } from './table-defaults.js';

export interface ConfigStoreProps {
  /** What CloudFormation does with the table when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The config table: tenants, write keys (stored as SHA-256 hashes) and published journeys.
 * Every function reads it (through a short cache); only tenant tooling writes it. Key layout in
 * `lambdas/adapters/table-design.ts`.
 */
export class ConfigStore extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: ConfigStoreProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Resource', tableDefaults(props.removalPolicy));
  }
}
