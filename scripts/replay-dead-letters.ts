/**
 * `npm run deliveries:replay -- --tenant acme [--action <actionId>] [--since <ISO date>]`
 *
 * Moves a tenant's dead-lettered actions (their webhook failed DELIVERY_MAX_ATTEMPTS times) back
 * into the retry queue with their attempts reset; the sweeper delivers them on its next run
 * (within a minute in AWS). Each keeps its action id, so the receiver sees the same
 * `Idempotency-Key` as before and drops one it had applied after all. Running it twice
 * requeues nothing twice. Prints a JSON summary.
 *
 * Reads the customers table named by CUSTOMERS_TABLE (the `CustomersTableName` output of
 * `cdk deploy`) with normal AWS credentials, or the local stack's with
 * AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000.
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { replayDeadLetters } from '../lambdas/adapters/dead-letter-replay.js';
import { Slug } from '../schemas/common.js';

const Arguments = z.object({
  tenant: Slug,
  action: z
    .string()
    .regex(/^[a-f0-9]{32}$/, 'an action id is 32 hex characters')
    .optional(),
  since: z.iso.datetime({ offset: true }).optional(),
});

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: { tenant: { type: 'string' }, action: { type: 'string' }, since: { type: 'string' } },
  });
  const args = Arguments.parse(values);
  const summary = await replayDeadLetters(
    {
      tenantId: args.tenant,
      ...(args.action === undefined ? {} : { actionId: args.action }),
      ...(args.since === undefined ? {} : { since: new Date(args.since) }),
    },
    new Date(),
  );
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((error: Error) => {
  console.error(`nothing replayed: ${error.message}`);
  process.exit(1);
});
