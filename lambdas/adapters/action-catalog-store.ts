import { ActionDefinition, type DraftChange } from '../../schemas/config-api.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';
import { writeWithAudit } from './tenant-audit.js';

/** The action catalog: pk `TENANT#<tenantId>`, sk `ACTIONDEF#<actionId>`, one item per action. */
const key = (tenantId: string, actionId: string) => ({
  pk: `TENANT#${tenantId}`,
  sk: `ACTIONDEF#${actionId}`,
});

export async function listActionDefinitions(tenantId: string): Promise<ActionDefinition[]> {
  const items = await queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'ACTIONDEF#', {
    consistentRead: true,
  });
  return items.map((item) => ActionDefinition.parse(item.action));
}

/** Writes a definition, and its audit entry, if its revision is still `expectedRevision` (undefined: new). */
export async function putActionDefinition(
  tenantId: string,
  action: ActionDefinition,
  expectedRevision: number | undefined,
  changes: DraftChange[],
): Promise<void> {
  await writeWithAudit(
    tenantId,
    [
      {
        Put: {
          TableName: env().CONFIG_TABLE,
          Item: {
            ...key(tenantId, action.id),
            action: ActionDefinition.parse(action),
            revision: action.revision,
          },
          ...(expectedRevision === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'revision = :expected',
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        },
      },
    ],
    {
      resource: `action:${action.id}`,
      action: expectedRevision === undefined ? 'created' : 'updated',
      at: action.updatedAt,
      by: action.updatedBy,
      changes,
    },
    'The action changed since you read it: read it again (new ETag).',
  );
}
