import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * How long the stream keeps records. Longer than the processor's `maxRecordAge` (1 day) on
 * purpose: for a Kinesis source, Lambda's on-failure destination receives only the batch's
 * metadata (shard and sequence numbers), not the records themselves
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html), so a
 * failed batch can be replayed only while its records are still in the stream. Seven days
 * leave room to notice a failure over a weekend, fix it and replay; the extra retention is a
 * small cost next to losing customer events.
 */
export const EVENTS_RETENTION = Duration.days(7);

export interface EventStreamProps {
  /** What CloudFormation does with the stream when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The customer-managed key the stream is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The Kinesis stream every change to a customer travels through (events, timer firings,
 * consent changes), partitioned by `<tenantId>#<customerId>` so that one processor invocation
 * at a time applies a customer's changes, in order.
 *
 * On-demand capacity (no shard planning), encrypted with the customer-managed data key, named by
 * CloudFormation: functions receive the name in `EVENTS_STREAM`.
 *
 * @example
 * const events = new EventStream(this, 'EventsStream', { removalPolicy: RemovalPolicy.RETAIN, encryptionKey });
 * events.stream.grantWrite(ingestFunction);
 */
export class EventStream extends Construct {
  readonly stream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    this.stream = new kinesis.Stream(this, 'Resource', {
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.encryptionKey,
      retentionPeriod: EVENTS_RETENTION,
      removalPolicy: props.removalPolicy,
    });
  }
}
