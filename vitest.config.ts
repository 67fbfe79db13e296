import { defineConfig } from 'vitest/config';

// Node 20 here, 24 in Lambda: the SDK's notice about its future Node 22 floor is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    // Handler logs and EMF metrics are JSON lines; tests that check them enable and capture them themselves.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_DEV: 'false', POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          // Starts DynamoDB Local and kinesalite once for every file of this project.
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          // Creating tables and streams happens in hooks; DynamoDB Local's first requests are slow.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
