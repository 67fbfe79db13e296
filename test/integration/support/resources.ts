import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { inject } from 'vitest';
import {
  type AdminClients,
  createAdminClients,
  destroyAdminClients,
} from '../../../scripts/local/admin-clients.js';
import { provisionResources, type ResourceNames } from '../../../scripts/local/provision.js';

/**
 * Tables and a stream of one's own, so that test files can run in parallel against the shared
 * emulators without seeing each other's data. Nothing global is set: a test passes the names to
 * the code under test itself.
 */
export interface FreshResources extends ResourceNames {
  customersStreamArn: string;
}

/** Clients pointed explicitly at the emulators of global-setup.ts; `destroyAdminClients` them after. */
export function emulatorClients(): AdminClients {
  const awsEnv = inject('awsEnv');
  return createAdminClients({
    dynamoEndpoint: awsEnv.AWS_ENDPOINT_URL_DYNAMODB,
    kinesisEndpoint: awsEnv.AWS_ENDPOINT_URL_KINESIS,
    region: awsEnv.AWS_REGION,
    // The emulators accept any credentials; these keep a developer's real ones out of the picture.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** @param prefix names the test file in the resources' names, e.g. `dispatcher` */
export async function freshResources(prefix: string): Promise<FreshResources> {
  // Table and stream names allow letters, digits, `_`, `.` and `-`; streams at most 128 of them.
  const base = `${prefix.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40)}-${randomUUID().slice(0, 8)}`;
  const names: ResourceNames = {
    configTable: `${base}-config`,
    customersTable: `${base}-customers`,
    eventsStream: `${base}-events`,
  };
  const clients = emulatorClients();
  try {
    const { customersStreamArn } = await provisionResources(names, clients);
    return { ...names, customersStreamArn };
  } finally {
    destroyAdminClients(clients);
  }
}

/** Deletes what `freshResources` created; what is already gone is ignored. */
export async function deleteResources(names: ResourceNames): Promise<void> {
  const clients = emulatorClients();
  try {
    await Promise.all([
      ignoreMissing(clients.dynamodb.send(new DeleteTableCommand({ TableName: names.configTable }))),
      ignoreMissing(clients.dynamodb.send(new DeleteTableCommand({ TableName: names.customersTable }))),
      ignoreMissing(clients.kinesis.send(new DeleteStreamCommand({ StreamName: names.eventsStream }))),
    ]);
  } finally {
    destroyAdminClients(clients);
  }
}

async function ignoreMissing(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
  }
}
