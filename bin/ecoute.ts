#!/usr/bin/env node
import { App, RemovalPolicy } from 'aws-cdk-lib';
import type { LogLevel } from '../lib/compute/ecoute-function.js';
import { EcouteStack } from '../lib/ecoute-stack.js';

/**
 * The CDK app. Options come from context (`cdk.json` or `-c key=value`):
 * - `ecoute:stackName` (default `Ecoute`)
 * - `ecoute:removalPolicy`: `retain` (default) or `destroy` for a throwaway stack
 * - `ecoute:logLevel`: `DEBUG`, `INFO` (default), `WARN` or `ERROR`
 *
 * The account and region come from the CLI's credentials when it has some. Without credentials
 * the stack is environment-agnostic (the CLI's fallback region is not pinned into the
 * template), which is all an offline `cdk synth` needs.
 */
const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(`ecoute:${key}`);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const logLevel = (context('logLevel') ?? 'INFO').toUpperCase() as LogLevel;
if (!LOG_LEVELS.includes(logLevel)) {
  throw new Error(`ecoute:logLevel must be one of ${LOG_LEVELS.join(', ')}`);
}

const removalPolicy = context('removalPolicy') ?? 'retain';
if (removalPolicy !== 'retain' && removalPolicy !== 'destroy') {
  throw new Error('ecoute:removalPolicy must be retain or destroy');
}

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new EcouteStack(app, context('stackName') ?? 'Ecoute', {
  ...(account ? { env: { account, region } } : {}),
  description: 'Écoute: serverless, real-time journey orchestration',
  tags: { project: 'ecoute' },
  dataRemovalPolicy: removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  logLevel,
});
