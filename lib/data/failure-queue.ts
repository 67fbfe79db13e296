import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueueProps {
  /** What CloudFormation does with the queue when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The customer-managed key the queue is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * Where an event source mapping sends a batch it gave up on (retries or record age exhausted).
 * For stream sources the message describes the batch (shard, sequence numbers, error), not the
 * records: replay reads the records back from the stream. Kept 14 days (the SQS maximum),
 * encrypted with the customer-managed data key, TLS only.
 */
export class FailureQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Resource', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
  }
}
