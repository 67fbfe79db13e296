import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as configApi } from '../../lambdas/config-api/handler.js';
import { pointAdaptersAt } from './support/adapters.js';
import { httpEvent } from './support/http-events.js';
import { deleteResources, type FreshResources, freshResources } from './support/resources.js';

const run = promisify(execFile);
let resources: FreshResources;

beforeAll(async () => {
  resources = await freshResources('create-tenant');
  pointAdaptersAt(resources);
});
afterAll(async () => deleteResources(resources));

describe('npm run tenant:create', () => {
  it('creates a tenant with a write key and a first admin API key that works on the config API', async () => {
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'scripts/create-tenant.ts',
        '--tenant',
        'hooli',
        '--name',
        'Hooli',
        '--webhook-url',
        'https://hooks.hooli.example/x',
      ],
      { env: { ...process.env, ...inject('awsEnv'), CONFIG_TABLE: resources.configTable }, timeout: 60_000 },
    );
    const printed = JSON.parse(stdout.slice(0, stdout.lastIndexOf('}') + 1)) as Record<string, string>;
    expect(printed).toMatchObject({ tenantId: 'hooli', writeKey: expect.stringMatching(/^wk_hooli_/) });
    expect(printed.adminApiKey).toMatch(/^ek_/);

    const listed = (await configApi(
      httpEvent('GET /v1/api-keys', { headers: { authorization: `Bearer ${printed.adminApiKey}` } }),
      {} as Context,
    )) as { statusCode: number; body: string };
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body).keys).toEqual([
      expect.objectContaining({ keyId: printed.adminKeyId, scopes: ['admin'], createdBy: 'bootstrap' }),
    ]);
  });
});
