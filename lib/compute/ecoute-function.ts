import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/adapters/metrics.js';
import type { EcouteData } from '../data/ecoute-data.js';

/** The repository root: `lambdas/`, `package.json` and `package-lock.json` live there. */
const PROJECT_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What every function of the stack is given, whatever it does. */
export interface EcouteFunctionSettings {
  /** The stateful resources: their names become the functions' environment. */
  readonly data: EcouteData;
  /** Powertools' `LOG_LEVEL`, and Lambda's application log level filter. */
  readonly logLevel: LogLevel;
  /** What CloudFormation does with the function's log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

export interface EcouteFunctionProps extends EcouteFunctionSettings {
  /** The function's folder under `lambdas/`; its entry point is `lambdas/<name>/handler.ts`. */
  readonly name: string;
  readonly description: string;
  readonly memorySize: 512 | 1024;
  readonly timeout: Duration;
}

/**
 * One of Écoute's Lambda functions: `lambdas/<name>/handler.ts` bundled by the local esbuild
 * into a minified ES module with source maps and its own copy of the AWS SDK, running on Node.js
 * 24 on arm64, logging JSON (and EMF metrics, namespace `Ecoute`) to a log group kept one month.
 *
 * Every function receives the names of all stateful resources (`CONFIG_TABLE`,
 * `CUSTOMERS_TABLE`, `EVENTS_STREAM`): `lambdas/adapters/env.ts` falls back to the local
 * names when one is missing, which in AWS would point at a resource that does not exist.
 * Permissions are not given here (but the data key's use): each construct grants its function what it needs.
 *
 * @example
 * const sweeper = new EcouteFunction(this, 'Function', {
 *   ...settings, name: 'sweeper', description: 'Retries due deliveries',
 *   memorySize: 512, timeout: Duration.seconds(50),
 * });
 * settings.data.config.table.grantReadData(sweeper.function);
 */
export class EcouteFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EcouteFunctionProps) {
    super(scope, id);
    const { data } = props;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });

    this.function = new NodejsFunction(this, 'Resource', {
      entry: path.join(PROJECT_ROOT, 'lambdas', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Same level for Lambda's filter and for Powertools, which warns when they disagree.
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment: {
        CONFIG_TABLE: data.config.table.tableName,
        CUSTOMERS_TABLE: data.customers.table.tableName,
        EVENTS_STREAM: data.events.stream.streamName,
        // Resolved by CloudFormation at deploy time (a dynamic reference, never in the template):
        // only the tombstone key derivation uses it, and a Lambda environment is encrypted at rest.
        ERASURE_SALT: data.erasureSalt.secretValue.unsafeUnwrap(),
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'ecoute',
        // Where the EMF metrics of lambdas/adapters/metrics.ts land, said where Powertools and an
        // operator reading the function's configuration look for it.
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings only; the sources would double the asset for nothing.
        sourcesContent: false,
        // Bundle the SDK: the runtime's copy changes under us and is slower to load than a
        // tree-shaken bundle of the few clients a function uses.
        externalModules: [],
        // CommonJS dependencies inside an ES module bundle call `require` for Node built-ins.
        banner:
          "import { createRequire as __ecouteCreateRequire } from 'node:module';" +
          'const require = __ecouteCreateRequire(import.meta.url);',
      },
    });
    // Every function reads a table, and the tables are encrypted with the data key (see
    // encryptWithKey): decrypt and encrypt with it, through DynamoDB only.
    data.dataKey.key.grantEncryptDecrypt(this.function);
  }
}
