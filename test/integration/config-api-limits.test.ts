import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../lambdas/adapters/api-key-store.js';
import { handler as configApi } from '../../lambdas/config-api/handler.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';
import { seedTenant } from './support/seed.js';

let resources: FreshResources;

beforeAll(async () => {
  resources = await freshResources('config-limits');
  pointAdaptersAt(resources, { CONFIG_WRITES_PER_MINUTE: '3' });
  await seedTenant({ tenantId: 'acme' });
  await seedTenant({ tenantId: 'globex' });
});
afterAll(async () => deleteResources(resources));

const put = async (key: string, journeyId: string) =>
  (await configApi(
    httpEvent('PUT /v1/journeys/{journeyId}', {
      pathParameters: { journeyId },
      body: { name: journeyId },
      headers: { authorization: `Bearer ${key}` },
    }),
    {} as Context,
  )) as { statusCode: number; body: string; headers?: Record<string, string> };

describe('config API write quota', () => {
  it('answers 429 with Retry-After past the tenant’s writes per minute, without touching other tenants', async () => {
    const acme = (await createApiKey('acme', { name: 'a', scopes: ['admin'] }, 'test', new Date())).key;
    const globex = (await createApiKey('globex', { name: 'g', scopes: ['admin'] }, 'test', new Date())).key;
    const statuses: number[] = [];
    let limited: { statusCode: number; body: string; headers?: Record<string, string> } | undefined;
    for (let index = 0; index < 5; index += 1) {
      const response = await put(acme, `j-${index}`);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) limited = response;
    }
    // A minute boundary may fall inside the loop: at least the first three pass, and some are refused.
    expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
    expect(statuses).toContain(429);
    expect(JSON.parse(limited?.body ?? '{}')).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited?.headers?.['retry-after'])).toBeGreaterThan(0);
    expect((await put(globex, 'g-1')).statusCode).toBe(201);
  });
});
