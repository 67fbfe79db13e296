import { afterAll, beforeAll } from 'vitest';
import { resetClientsForTests } from '../../../lambdas/adapters/aws-clients.js';
import { pointAdaptersAt } from './adapters.js';
import { deleteResources, type FreshResources, freshResources } from './resources.js';
import { startWebhookReceiver } from './webhook-receiver.js';

/**
 * Tables and a stream of the test file's own, adapters pointed at them with retries due at once
 * (a test drives them by running the sweeper) and webhooks allowed on 127.0.0.1, and webhook
 * receivers closed at the end. Call at the top of a test file.
 */
export function deliveryTestBed(name: string, maxAttempts: number) {
  let resources: FreshResources | undefined;
  const receivers: Awaited<ReturnType<typeof startWebhookReceiver>>[] = [];
  beforeAll(async () => {
    resources = await freshResources(name);
    pointAdaptersAt(resources, {
      DELIVERY_BACKOFF_BASE_SECONDS: '0',
      DELIVERY_MAX_ATTEMPTS: String(maxAttempts),
      DELIVERY_TIMEOUT_MS: '2000',
      // The receivers listen on 127.0.0.1 over http.
      ALLOW_PRIVATE_WEBHOOKS: 'true',
    });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    if (resources !== undefined) await deleteResources(resources);
    resetClientsForTests();
  });
  return {
    get resources(): FreshResources {
      if (resources === undefined) throw new Error('the test bed is set up in beforeAll');
      return resources;
    },
    /** A webhook receiver, closed with the file's tables. */
    async receiver(options: Parameters<typeof startWebhookReceiver>[0] = {}) {
      const started = await startWebhookReceiver(options);
      receivers.push(started);
      return started;
    },
  };
}
