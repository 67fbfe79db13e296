import { randomBytes } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type TenantAuditEntry,
  TenantAuditEntry as TenantAuditEntrySchema,
} from '../../schemas/config-api.js';
import { PreconditionFailedError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';

/**
 * The audit of tenant-wide resources: pk `TENANT#<tenantId>`, sk `TENANTAUDIT#<time>#<random>`,
 * written in the same transaction as the change it records, so there is no change without its
 * entry and no entry without its change. (Journeys have their own, per journey: `AUDIT#`.)
 */
const sk = (at: string) => `TENANTAUDIT#${at}#${randomBytes(4).toString('hex')}`;

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/**
 * Writes `changeItems` and the audit entry together. A failed condition of the change means
 * someone else changed the resource first: PreconditionFailedError with `staleMessage`.
 */
export async function writeWithAudit(
  tenantId: string,
  changeItems: TransactItem[],
  entry: TenantAuditEntry,
  staleMessage: string,
): Promise<void> {
  const audit: TransactItem = {
    Put: {
      TableName: env().CONFIG_TABLE,
      Item: {
        pk: `TENANT#${tenantId}`,
        sk: sk(entry.at),
        entry: JSON.stringify(TenantAuditEntrySchema.parse(entry)),
      },
    },
  };
  try {
    await dynamo().send(new TransactWriteCommand({ TransactItems: [...changeItems, audit] }));
  } catch (error) {
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    if (
      error instanceof Error &&
      error.name === 'TransactionCanceledException' &&
      reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')
    )
      throw new PreconditionFailedError(staleMessage);
    throw error;
  }
}

/** The tenant's audit, oldest first. */
export async function listTenantAudit(tenantId: string): Promise<TenantAuditEntry[]> {
  const items = await queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'TENANTAUDIT#', {
    consistentRead: true,
  });
  return items.map((item) => TenantAuditEntrySchema.parse(JSON.parse(String(item.entry))));
}
