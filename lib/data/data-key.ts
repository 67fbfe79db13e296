import type { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface DataKeyProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The customer-managed KMS key every store of personal data is encrypted with (issue 5): both
 * tables, the events stream, the failure queues and the erasure salt. Customer-managed rather
 * than AWS-managed so the operator controls and audits who may decrypt (key policy, CloudTrail),
 * and can cut off all access by disabling one key. Rotated yearly by KMS.
 */
export class DataKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Resource', {
      description: 'Écoute: encrypts customer data at rest (tables, events stream, failure queues)',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
  }
}
