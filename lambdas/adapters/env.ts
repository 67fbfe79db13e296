import * as z from 'zod';
import { CONFIG_TABLE, CUSTOMERS_TABLE, EVENTS_STREAM } from './table-design.js';

/**
 * Every setting a function reads, validated once at cold start. Nothing else in the code
 * reads `process.env`; endpoints are overridden only through the SDK's own variables
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_KINESIS`).
 */
const EnvSchema = z.object({
  CONFIG_TABLE: z.string().min(1).default(CONFIG_TABLE.defaultName),
  CUSTOMERS_TABLE: z.string().min(1).default(CUSTOMERS_TABLE.defaultName),
  EVENTS_STREAM: z.string().min(1).default(EVENTS_STREAM.defaultName),
  /** How long a tenant's journeys and write keys are cached in a warm function. */
  CONFIG_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
  /** Webhook delivery attempts before an action is dead-lettered. */
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  /** First retry delay; each later one doubles, with full jitter. */
  DELIVERY_BACKOFF_BASE_SECONDS: z.coerce.number().min(0).default(30),
  /**
   * Shortest wait or timeout a published journey may have. A minute in AWS: a shorter one is
   * almost always a typo (30s for 30m), and the sweeper runs once a minute. Tests of the local
   * stack lower it to see a wait end.
   */
  MIN_WAIT_SECONDS: z.coerce.number().int().min(0).default(60),
  /**
   * Local development only: webhooks may use http and private or loopback addresses (a receiver
   * on the laptop). Set by the local stack and the tests with local receivers; never by the CDK
   * stack, so in AWS the SSRF rules of lambdas/core/webhook-url-safety.ts apply in full.
   */
  ALLOW_PRIVATE_WEBHOOKS: z.stringbool().default(false),
  /** Config API changes a tenant may make per minute; more get 429. */
  CONFIG_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /**
   * Salt of the erasure tombstones' keys (HMAC-SHA256 of tenant#customer): without it a
   * tombstone cannot be linked back to a guessed customer id. Generated per deployment in AWS
   * (a Secrets Manager secret, lib/compute/journey-processor.ts); a fixed value locally.
   */
  ERASURE_SALT: z.string().min(16).default('ecoute-local-erasure-salt'),
});

export type Env = z.infer<typeof EnvSchema>;

let cached: Env | undefined;

export function env(): Env {
  cached ??= EnvSchema.parse(process.env);
  return cached;
}

/** Tests and the local host change variables between runs; they call this to read them again. */
export function resetEnvForTests(): void {
  cached = undefined;
}
