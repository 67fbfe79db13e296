import { ConsentHistoryEntry } from '../../schemas/consent.js';
import { customerPartition, type ExtraWrite } from './customer-store.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';

/**
 * The append-only consent history (proof of consent, GDPR art. 7): one item per change, sort
 * key `CONSENT#<at as UTC ISO>#<changeId>`, so the history reads in the order the customer
 * decided. The key is deterministic: a replayed change rewrites the identical item and never
 * adds a second one, and no condition can cancel the customer's whole write.
 */
export const consentHistorySortKey = (entry: Pick<ConsentHistoryEntry, 'at' | 'changeId'>) =>
  `CONSENT#${new Date(entry.at).toISOString()}#${entry.changeId}`;

/** The history items of a customer's write, for `saveCustomerOutcome(..., extraWrites)`. */
export function consentHistoryWrites(
  tenantId: string,
  customerId: string,
  history: readonly ConsentHistoryEntry[],
): ExtraWrite[] {
  return history.map((entry) => ({
    Put: {
      TableName: env().CUSTOMERS_TABLE,
      Item: { pk: customerPartition(tenantId, customerId), sk: consentHistorySortKey(entry), entry },
    },
  }));
}

/** A customer's consent history, oldest decision first. */
export async function listConsentHistory(
  tenantId: string,
  customerId: string,
): Promise<ConsentHistoryEntry[]> {
  const items = await queryByPrefix(
    env().CUSTOMERS_TABLE,
    customerPartition(tenantId, customerId),
    'CONSENT#',
    {
      consistentRead: true,
    },
  );
  return items.map((item) => ConsentHistoryEntry.parse(item.entry));
}
