import type { TestProject } from 'vitest/node';
import { localAwsEnvironment, startEmulators } from '../../scripts/local/emulators.js';

/**
 * Starts DynamoDB Local and kinesalite once for the whole integration run, on free ports so that
 * it never collides with a running `npm start`. Test files share the emulators but not their
 * data: each creates its own tables and stream (support/resources.ts).
 *
 * The endpoints reach the workers twice: in `process.env`, set here before any worker starts,
 * because the adapters' SDK clients read only the standard variables; and through `inject('awsEnv')`
 * for tests that build their own clients explicitly.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulators = await startEmulators();
  const awsEnv = localAwsEnvironment(emulators);
  const previousValues = Object.fromEntries(Object.keys(awsEnv).map((name) => [name, process.env[name]]));
  Object.assign(process.env, awsEnv);
  project.provide('awsEnv', awsEnv);

  return async () => {
    for (const [name, value] of Object.entries(previousValues)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await emulators.stop();
  };
}
