import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
