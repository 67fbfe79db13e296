import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Decision } from '../../schemas/decision.js';
import type { CapsHistory } from '../../schemas/decisioning.js';
import { VersionConflictError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { capsHistoryWrite, decisionWrite } from './decision-items.js';

/**
 * Counts an impression of the decision API: the customer's `CAPS` item with the send, written
 * only if it is still the version read, and the decision, in one transaction. The customer's
 * `STATE` is not touched: the processor is its single writer; `CAPS` is shared on purpose.
 *
 * @throws VersionConflictError when another writer (the processor, a concurrent request)
 * changed the caps item since it was read, or was writing it at that instant: read and decide again
 */
export async function saveImpression(
  tenantId: string,
  customerId: string,
  history: CapsHistory,
  decision: Decision,
  retentionDays: number,
): Promise<void> {
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          capsHistoryWrite(tenantId, customerId, history),
          decisionWrite(decision, retentionDays),
        ],
      }),
    );
  } catch (error) {
    // Either a failed condition on CAPS, or a TransactionConflict with another transaction on it
    // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
    const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0]?.Code : '';
    if (reason === 'ConditionalCheckFailed' || reason === 'TransactionConflict')
      throw new VersionConflictError('the caps item changed since it was read', { cause: error });
    throw error;
  }
}
