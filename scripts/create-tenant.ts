/**
 * `npm run tenant:create -- --tenant acme --name "Acme" [--webhook-url URL] [--journeys FILE]`
 *
 * FILE holds a JSON array of journeys, or an object with a `journeys` array (as config/demo.json).
 *
 * Creates (or updates) a tenant in the config table named by CONFIG_TABLE (the `ConfigTableName`
 * output of `cdk deploy`), with a new write key (tracking), its first `admin` API key (config
 * API, `Authorization: Bearer`) and, optionally, its webhook and journeys. Prints the keys and
 * the webhook signing secret once: only the keys' hashes and the secret are stored. Works against AWS with normal credentials, or the local stack with
 * AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createApiKey } from '../lambdas/adapters/api-key-store.js';
import { putJourney, putTenant, putWriteKey } from '../lambdas/adapters/config-store.js';
import { env } from '../lambdas/adapters/env.js';
import { checkWebhookUrl } from '../lambdas/core/webhook-url-safety.js';
import { Slug } from '../schemas/common.js';
import { Journey } from '../schemas/journey.js';

const Arguments = z.object({
  tenant: Slug,
  name: z.string().min(1).max(200),
  'webhook-url': z
    .url({ protocol: /^https?$/ })
    .superRefine((url, context) => {
      // The config API's SSRF rules; ALLOW_PRIVATE_WEBHOOKS=true allows a local receiver.
      const verdict = checkWebhookUrl(url, { allowPrivate: env().ALLOW_PRIVATE_WEBHOOKS });
      if (!verdict.safe)
        context.addIssue({ code: 'custom', message: `unsafe webhook URL: ${verdict.reason}` });
    })
    .optional(),
  journeys: z.string().optional(),
});

/** A list of journeys, or a file shaped like config/demo.json whose `journeys` are taken. */
const JourneysFile = z.union([
  z.array(Journey),
  z.object({ journeys: z.array(Journey) }).transform((file) => file.journeys),
]);

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      'webhook-url': { type: 'string' },
      journeys: { type: 'string' },
    },
  });
  const args = Arguments.parse(values);
  const journeys =
    args.journeys === undefined ? [] : JourneysFile.parse(JSON.parse(readFileSync(args.journeys, 'utf8')));
  const webhook =
    args['webhook-url'] === undefined
      ? undefined
      : { url: args['webhook-url'], secret: randomBytes(32).toString('hex') };
  const writeKey = `wk_${args.tenant}_${randomBytes(18).toString('base64url')}`;

  await putTenant({
    tenantId: args.tenant,
    name: args.name,
    ...(webhook === undefined ? {} : { webhooks: { webhook } }),
  });
  await putWriteKey(args.tenant, writeKey, new Date());
  for (const journey of journeys) await putJourney(args.tenant, journey);
  const admin = await createApiKey(
    args.tenant,
    { name: 'first admin key', scopes: ['admin'] },
    'bootstrap',
    new Date(),
  );

  console.log(
    JSON.stringify(
      {
        tenantId: args.tenant,
        writeKey,
        adminApiKey: admin.key,
        adminKeyId: admin.keyId,
        webhookSecret: webhook?.secret,
        journeys: journeys.length,
      },
      null,
      2,
    ),
  );
  console.log('Keep the write key, the admin API key and the webhook secret now: they are not shown again.');
}

main().catch((error: Error) => {
  console.error(`tenant not created: ${error.message}`);
  process.exit(1);
});
