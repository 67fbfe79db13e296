/**
 * `npm start`: Écoute on this machine, with a demo tenant. See README.md.
 *
 * Settings (all optional): PORT (3000), DYNAMO_PORT (8000), KINESIS_PORT (4567),
 * ECOUTE_DEMO_WRITE_KEY (random), ECOUTE_DATA_DIR (.ecoute). With AWS_ENDPOINT_URL set
 * (LocalStack on :4566, say) no emulator is started and that endpoint is used instead.
 */
import * as z from 'zod';
import { startLocalStack } from './local/local-stack.js';

const Settings = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DYNAMO_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  KINESIS_PORT: z.coerce.number().int().min(0).max(65_535).default(4567),
  ECOUTE_DEMO_WRITE_KEY: z.string().min(8).max(200).optional(),
  ECOUTE_DATA_DIR: z.string().default('.ecoute'),
  AWS_ENDPOINT_URL: z.url().optional(),
});

async function main(): Promise<void> {
  const settings = Settings.parse(process.env);
  // Handler logs (JSON, one line each) stay quiet unless asked for.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // Node 20 is supported locally; the SDK's notice about its future Node 22 floor is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = Date.now();
  const stack = await startLocalStack({
    port: settings.PORT,
    aws:
      settings.AWS_ENDPOINT_URL === undefined
        ? { start: { dynamoPort: settings.DYNAMO_PORT, kinesisPort: settings.KINESIS_PORT } }
        : { external: true },
    demo: { writeKey: settings.ECOUTE_DEMO_WRITE_KEY },
    dataDir: settings.ECOUTE_DATA_DIR,
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping Écoute…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  console.log(
    `Écoute is ready on ${stack.url} (tenant "${stack.tenantId}", write key ${stack.writeKey}) ` +
      `after ${((Date.now() - started) / 1_000).toFixed(1)} s`,
  );
  console.log(`Config API admin key (Authorization: Bearer): ${stack.adminKey}`);
}

main().catch((error: Error) => {
  console.error(`Écoute could not start: ${error.message}`);
  process.exit(1);
});
