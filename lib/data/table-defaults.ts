import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { KEY } from '../../lambdas/adapters/table-design.js';

/**
 * What every Écoute table shares: string `pk`/`sk` keys, on-demand billing, point-in-time
 * recovery, and deletion protection whenever the table is meant to outlive the stack.
 */
export function tableDefaults(removalPolicy: RemovalPolicy): dynamodb.TablePropsV2 {
  return {
    partitionKey: { name: KEY.partition, type: dynamodb.AttributeType.STRING },
    sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
  };
}

/**
 * Encrypts a table with a customer-managed key. Through the template rather than TableV2's
 * `encryption` prop, which cannot render a replica's key in a region-agnostic stack (ours is,
 * unless deployed with an account); the one replica is the stack's own region. TableV2 then
 * does not know the key, so functions are granted it beside the table (EcouteFunction).
 */
export function encryptWithKey(table: dynamodb.TableV2, key: kms.IKey): void {
  const cfn = table.node.defaultChild as dynamodb.CfnGlobalTable;
  cfn.addPropertyOverride('SSESpecification', { SSEEnabled: true, SSEType: 'KMS' });
  cfn.addPropertyOverride('Replicas.0.SSESpecification', { KMSMasterKeyId: key.keyArn });
}
