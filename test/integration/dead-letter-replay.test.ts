import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { handler as dispatcher } from '../../lambdas/dispatcher/handler.js';
import { sweepDueDeliveries } from '../../lambdas/sweeper/sweep-deliveries.js';
import { actionsSeenBy, fireCartReminder } from './support/actions.js';
import { deliveryTestBed } from './support/delivery-bed.js';
import { cartReminder, type SeededTenant, seedTenant } from './support/seed.js';
import { insertRecordOf } from './support/table-stream.js';

const run = promisify(execFile);
const MAX_ATTEMPTS = 2;

const bed = deliveryTestBed('replay', MAX_ATTEMPTS);

/** `npm run deliveries:replay -- …` as an operator runs it, against DynamoDB Local. */
async function replay(...args: string[]) {
  const { stdout } = await run('npx', ['tsx', 'scripts/replay-dead-letters.ts', ...args], {
    env: { ...process.env, ...inject('awsEnv'), CUSTOMERS_TABLE: bed.resources.customersTable },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { tenantId: string; matched: number; replayed: string[]; skipped: string[] };
}

/** A tenant whose receiver is down: its first `down` requests answer 503, then 200. */
async function tenantWithFailingHook(down: number) {
  const hook = await bed.receiver({ failFirst: down });
  const tenant = await seedTenant({
    tenantId: `replay-${randomUUID().slice(0, 8)}`,
    webhooks: { webhook: { url: hook.url, secret: `whsec_${randomUUID()}` } },
    journeys: [cartReminder],
  });
  return { hook, tenant };
}

async function deadLetter(tenant: SeededTenant) {
  const fired = await fireCartReminder(bed.resources.eventsStream, tenant);
  await dispatcher(
    { Records: [await insertRecordOf(bed.resources.customersStreamArn, fired.key.sk)] },
    {} as Context,
  );
  for (let round = 0; round < MAX_ATTEMPTS + 1; round += 1) await sweepDueDeliveries(new Date());
  expect((await actionsSeenBy(tenant, fired.customerId))[0]?.delivery).toMatchObject({
    status: 'dead_lettered',
    attempts: MAX_ATTEMPTS,
  });
  return fired;
}

describe('npm run deliveries:replay', () => {
  it('puts a tenant’s dead letters back in the retry queue, once; they are delivered with the same key', async () => {
    const { hook, tenant } = await tenantWithFailingHook(MAX_ATTEMPTS * 2);
    const first = await deadLetter(tenant);
    const second = await deadLetter(tenant);
    const { tenant: bystander } = await tenantWithFailingHook(MAX_ATTEMPTS);
    const untouched = await deadLetter(bystander);

    const summary = await replay('--tenant', tenant.tenantId);
    expect(summary).toEqual({
      tenantId: tenant.tenantId,
      matched: 2,
      replayed: expect.arrayContaining([first.action.actionId, second.action.actionId]),
      skipped: [],
    });
    expect((await actionsSeenBy(tenant, first.customerId))[0]?.delivery).toMatchObject({
      status: 'retrying',
      attempts: 0,
      replayedAt: expect.any(String),
    });
    // Replaying again finds nothing: they are no longer dead letters.
    expect(await replay('--tenant', tenant.tenantId)).toMatchObject({ matched: 0, replayed: [] });

    await sweepDueDeliveries(new Date());
    for (const fired of [first, second])
      expect((await actionsSeenBy(tenant, fired.customerId))[0]?.delivery).toMatchObject({
        status: 'delivered',
        attempts: 1,
      });
    const accepted = hook.accepted().map((request) => request.headers['idempotency-key']);
    expect(accepted.sort()).toEqual([first.action.actionId, second.action.actionId].sort());
    // The other tenant's dead letter stayed where it was.
    expect((await actionsSeenBy(bystander, untouched.customerId))[0]?.delivery).toMatchObject({
      status: 'dead_lettered',
    });
  });

  it('replays only the action named, or those dead-lettered since the instant given', async () => {
    const { tenant } = await tenantWithFailingHook(MAX_ATTEMPTS * 2);
    const older = await deadLetter(tenant);
    const since = new Date().toISOString();
    const newer = await deadLetter(tenant);

    expect(await replay('--tenant', tenant.tenantId, '--since', since)).toMatchObject({
      matched: 1,
      replayed: [newer.action.actionId],
    });
    expect(await replay('--tenant', tenant.tenantId, '--action', older.action.actionId)).toMatchObject({
      matched: 1,
      replayed: [older.action.actionId],
    });
  });

  it('refuses a malformed action id and changes nothing', async () => {
    await expect(replay('--tenant', 'acme', '--action', 'not-an-id')).rejects.toThrow(/32 hex characters/);
  });
});
