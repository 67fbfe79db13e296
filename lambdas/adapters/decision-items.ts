import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Decision } from '../../schemas/decision.js';
import { CapsHistory } from '../../schemas/decisioning.js';
import { EMPTY_HISTORY } from '../core/decisioning/caps-history.js';
import { dynamo } from './aws-clients.js';
import { customerPartition, type ExtraWrite } from './customer-store.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';

/**
 * The customer's decisioning items (layout in table-design.ts): the `CAPS` item (their recent
 * sends and feedback, versioned) and one `DECISION#<decidedAt>#<decisionId>` per decision.
 */

export async function loadCapsHistory(tenantId: string, customerId: string): Promise<CapsHistory> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CUSTOMERS_TABLE,
      Key: { pk: customerPartition(tenantId, customerId), sk: 'CAPS' },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return EMPTY_HISTORY;
  return CapsHistory.parse({ version: Item.version, entries: JSON.parse(String(Item.entries)) });
}

/**
 * The caps item's next version, written only if it is still the version read (another writer,
 * the decision API, may have counted a send meanwhile: the transaction then fails as a version
 * conflict and the batch is decided again from a fresh read).
 */
export function capsHistoryWrite(tenantId: string, customerId: string, history: CapsHistory): ExtraWrite {
  return {
    Put: {
      TableName: env().CUSTOMERS_TABLE,
      Item: {
        pk: customerPartition(tenantId, customerId),
        sk: 'CAPS',
        version: history.version + 1,
        entries: JSON.stringify(history.entries),
      },
      ...(history.version === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': history.version },
          }),
    },
  };
}

export const decisionSortKey = (decision: Pick<Decision, 'decidedAt' | 'decisionId'>) =>
  `DECISION#${decision.decidedAt}#${decision.decisionId}`;

/**
 * A decision, kept for the tenant's retention. Its key is deterministic (the moment and the
 * candidate's id): deciding the same cause again overwrites it rather than adding one.
 */
export function decisionWrite(decision: Decision, retentionDays: number): ExtraWrite {
  return {
    Put: {
      TableName: env().CUSTOMERS_TABLE,
      Item: {
        pk: customerPartition(decision.tenantId, decision.customerId),
        sk: decisionSortKey(decision),
        decision: JSON.stringify(decision),
        expiresAt: Math.floor(Date.parse(decision.decidedAt) / 1_000) + retentionDays * 86_400,
      },
    },
  };
}

/** A customer's decisions, oldest first (tests, and the customer API to come). */
export async function listDecisions(tenantId: string, customerId: string): Promise<Decision[]> {
  const items = await queryByPrefix(
    env().CUSTOMERS_TABLE,
    customerPartition(tenantId, customerId),
    'DECISION#',
  );
  return items.map((item) => Decision.parse(JSON.parse(String(item.decision))));
}
