import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ActionDefinition } from '../../schemas/config-api.js';
import { PreconditionFailedError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';

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

/** Writes a definition if its revision is still `expectedRevision` (undefined: it must not exist yet). */
export async function putActionDefinition(
  tenantId: string,
  action: ActionDefinition,
  expectedRevision: number | undefined,
): Promise<void> {
  try {
    await dynamo().send(
      new PutCommand({
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
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException')
      throw new PreconditionFailedError('The action changed since you read it: read it again (new ETag).');
    throw error;
  }
}
