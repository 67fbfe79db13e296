import type { LocalAwsEnvironment } from '../../scripts/local/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The emulators' endpoints and fake credentials, from global-setup.ts. */
    awsEnv: LocalAwsEnvironment;
  }
}
