import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
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
