import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ActionDefinition, type DraftChange } from '../../schemas/config-api.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { writeWithAudit } from './tenant-audit.js';

/** The action catalog: pk `TENANT#<tenantId>`, sk `ACTIONDEF#<actionId>`, one item per action. */
const key = (tenantId: string, actionId: string) => ({
  pk: `TENANT#${tenantId}`,
  sk: `ACTIONDEF#${actionId}`,
});

export async function listActionDefinitions(tenantId: string): Promise<ActionDefinition[]> {
  const actions: ActionDefinition[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: env().CONFIG_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'ACTIONDEF#' },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) actions.push(ActionDefinition.parse(item.action));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return actions;
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
