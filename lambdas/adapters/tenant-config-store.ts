import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TenantAuditEntry } from '../../schemas/config-api.js';
import { Tenant } from '../../schemas/tenant.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { writeWithAudit } from './tenant-audit.js';

/**
 * The tenant profile (pk `TENANT#<id>`, sk `PROFILE`) as the config API edits it: read
 * consistently with its `revision` (the ETag; 0 for a profile written before revisions, e.g. by
 * `tenant:create`), written only if the revision is still the one read.
 */
const key = (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'PROFILE' });

export async function getTenantWithRevision(
  tenantId: string,
): Promise<{ tenant: Tenant; revision: number } | null> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: env().CONFIG_TABLE, Key: key(tenantId), ConsistentRead: true }),
  );
  if (Item === undefined) return null;
  return {
    tenant: Tenant.parse(Item.tenant),
    revision: typeof Item.revision === 'number' ? Item.revision : 0,
  };
}

/** Writes the tenant, and the audit entry of the change, if its revision is still the one read. */
export async function putTenantIfUnchanged(
  tenant: Tenant,
  expectedRevision: number,
  audit: TenantAuditEntry,
): Promise<number> {
  const valid = Tenant.parse(tenant);
  const revision = expectedRevision + 1;
  await writeWithAudit(
    valid.tenantId,
    [
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: { ...key(valid.tenantId), tenant: valid, revision },
          ...(expectedRevision === 0
            ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revision)' }
            : {
                ConditionExpression: 'revision = :expected',
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        },
      },
    ],
    audit,
    'The tenant settings changed since you read them: read them again (new ETag).',
  );
  return revision;
}
