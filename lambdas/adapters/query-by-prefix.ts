import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.js';

/**
 * Every item of one partition whose sort key starts with `prefix`, all pages read (the SDK's
 * paginator follows `LastEvaluatedKey`). Partitions here are small and bounded: a tenant's config
 * of one kind, or one customer's actions.
 */
export async function queryByPrefix(
  tableName: string,
  partitionKey: string,
  prefix: string,
  options: { consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: dynamo() },
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partitionKey, ':prefix': prefix },
      ...(options.consistentRead ? { ConsistentRead: true } : {}),
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}
