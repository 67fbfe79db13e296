import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DraftChange } from '../../schemas/config-api.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { writeWithAudit } from './tenant-audit.js';

/**
 * One-per-tenant config documents (settings, caps): pk `TENANT#<tenantId>`, sk `CONFIGDOC#<name>`,
 * the document as JSON text with a `revision` that every write is conditioned on.
 */
export type ConfigDocumentName = 'settings' | 'caps';

const key = (tenantId: string, name: ConfigDocumentName) => ({
  pk: `TENANT#${tenantId}`,
  sk: `CONFIGDOC#${name}`,
});

export async function getConfigDocument(
  tenantId: string,
  name: ConfigDocumentName,
): Promise<{ document: unknown; revision: number } | null> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: env().CONFIG_TABLE, Key: key(tenantId, name), ConsistentRead: true }),
  );
  return Item === undefined
    ? null
    : { document: JSON.parse(String(Item.document)), revision: Number(Item.revision) };
}

/** Writes the next revision, and its audit entry, if the stored one is still `expectedRevision` (0: none yet). */
export async function putConfigDocument(
  tenantId: string,
  name: ConfigDocumentName,
  document: unknown,
  expectedRevision: number,
  audit: { by: string; now: Date; changes: DraftChange[]; truncated: boolean },
): Promise<number> {
  const revision = expectedRevision + 1;
  const at = audit.now.toISOString();
  await writeWithAudit(
    tenantId,
    [
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: {
            ...key(tenantId, name),
            document: JSON.stringify(document),
            revision,
            updatedBy: audit.by,
            updatedAt: at,
          },
          ...(expectedRevision === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'revision = :expected',
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        },
      },
    ],
    {
      resource: name,
      action: expectedRevision === 0 ? 'created' : 'updated',
      at,
      by: audit.by,
      changes: audit.changes,
      ...(audit.truncated ? { truncated: true } : {}),
    },
    `The ${name} changed since you read them: read them again (new ETag).`,
  );
  return revision;
}
