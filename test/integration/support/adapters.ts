import { resetClientsForTests } from '../../../lambdas/adapters/aws-clients.js';
import { clearConfigCaches } from '../../../lambdas/adapters/config-store.js';
import { resetEnvForTests } from '../../../lambdas/adapters/env.js';
import type { ResourceNames } from '../../../scripts/local/provision.js';

/**
 * Points every adapter of this test worker at one test file's own tables and stream, the way
 * the CDK stack's environment variables do in AWS. Config caching is off so that seeded config
 * is seen at once; `settings` overrides any other variable (delivery backoff, attempts…).
 */
export function pointAdaptersAt(names: ResourceNames, settings: Record<string, string> = {}): void {
  Object.assign(process.env, {
    CONFIG_TABLE: names.configTable,
    CUSTOMERS_TABLE: names.customersTable,
    EVENTS_STREAM: names.eventsStream,
    CONFIG_CACHE_SECONDS: '0',
    // As in AWS unless the test file says it delivers to a receiver on loopback.
    ALLOW_PRIVATE_WEBHOOKS: 'false',
    ...settings,
  });
  resetEnvForTests();
  resetClientsForTests();
  clearConfigCaches();
}
