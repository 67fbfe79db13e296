import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PreconditionFailedError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';

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

/** Writes the next revision if the stored one is still `expectedRevision` (0: none stored yet). */
export async function putConfigDocument(
  tenantId: string,
  name: ConfigDocumentName,
  document: unknown,
  expectedRevision: number,
  by: string,
  now: Date,
): Promise<number> {
  const revision = expectedRevision + 1;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: env().CONFIG_TABLE,
        Item: {
          ...key(tenantId, name),
          document: JSON.stringify(document),
          revision,
          updatedBy: by,
          updatedAt: now.toISOString(),
        },
        ...(expectedRevision === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'revision = :expected',
              ExpressionAttributeValues: { ':expected': expectedRevision },
            }),
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException')
      throw new PreconditionFailedError(
        `The ${name} changed since you read them: read them again (new ETag).`,
      );
    throw error;
  }
  return revision;
}
