import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { dynamo } from '../../lambdas/adapters/aws-clients.js';
import { loadPublishedJourneys } from '../../lambdas/adapters/config-store.js';
import { handler as configApi } from '../../lambdas/config-api/handler.js';
import { journeyDraft } from '../unit/support/journey-drafts.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { seedTenant } from './support/seed.js';

let resources: FreshResources;
let admin: string;

beforeAll(async () => {
  resources = await freshResources('config-fuzz');
  pointAdaptersAt(resources, { CONFIG_WRITES_PER_MINUTE: '100000' });
  await seedTenant({
    tenantId: 'acme',
    webhook: { url: 'https://hooks.example.com/x', secret: 'sixteen-chars-secret' },
  });
  admin = (await createApiKey('acme', { name: 'fuzz', scopes: ['admin'] }, 'test', new Date())).key;
});
afterAll(async () => deleteResources(resources));

async function call(routeKey: string, journeyId: string, body?: unknown, ifMatch?: string) {
  const result = (await configApi(
    httpEvent(routeKey, {
      pathParameters: { journeyId },
      ...(body === undefined ? {} : { body }),
      headers: {
        authorization: `Bearer ${admin}`,
        ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      },
    }),
    {} as Context,
  )) as { statusCode: number; body: string; headers?: Record<string, string> };
  return { status: result.statusCode, body: JSON.parse(result.body), etag: result.headers?.etag };
}

const itemsOf = async (journeyId: string) =>
  (
    (await dynamo().send(new ScanCommand({ TableName: resources.configTable, ConsistentRead: true })))
      .Items ?? []
  )
    .map((item) => String(item.sk))
    .filter((sk) => sk.includes(`#${journeyId}`))
    .sort();

describe('the config API, fuzzed against DynamoDB Local', () => {
  it('answers every draft with 2xx or 4xx, publishes only valid ones, and a refused publish writes nothing', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: journeyDraft, weight: 4 }, fc.jsonValue({ maxDepth: 3 })),
        async (draft) => {
          run += 1;
          const journeyId = `fuzz-${run}`;
          const saved = await call(
            'PUT /v1/journeys/{journeyId}',
            journeyId,
            draft === null ? 'null' : draft,
          );
          expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(500);
          if (saved.status !== 201) {
            expect(await itemsOf(journeyId)).toEqual([]);
            return;
          }
          const before = await itemsOf(journeyId);
          const published = await call(
            'POST /v1/journeys/{journeyId}/publish',
            journeyId,
            undefined,
            saved.etag,
          );
          expect([200, 422], JSON.stringify(published.body)).toContain(published.status);
          if (published.status === 422) {
            expect(published.body.code).toBe('invalid_journey');
            expect(await itemsOf(journeyId)).toEqual(before);
          } else {
            expect(await itemsOf(journeyId)).toEqual(
              [
                ...before,
                `AUDIT#${journeyId}#000000002`,
                `JOURNEY#${journeyId}`,
                `JOURNEYVERSION#${journeyId}#000001`,
              ].sort(),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
    // Whatever was published, the processor loads every journey of the tenant without an error.
    await expect(loadPublishedJourneys('acme')).resolves.toBeDefined();
  });
});
