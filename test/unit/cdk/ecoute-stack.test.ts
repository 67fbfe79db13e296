import { readFileSync } from 'node:fs';
import { App, type CfnElement, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOMBSTONE_DAYS } from '../../../lambdas/adapters/erasure-store.js';
import {
  CONFIG_TABLE,
  CUSTOMERS_TABLE,
  ERASED_KEY_PREFIX,
  ERASURE_RECEIPT_ATTRIBUTES,
  IMPRESSION_ATTRIBUTES,
  KEY,
} from '../../../lambdas/adapters/table-design.js';
import { HTTP_ROUTES } from '../../../lambdas/http/routes.js';
import { EVENTS_RETENTION } from '../../../lib/data/event-stream.js';
import { EcouteStack } from '../../../lib/ecoute-stack.js';

/** The feature flags `cdk synth` runs with, so the tests see the template the CLI deploys. */
const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let stack: EcouteStack;
let template: Template;

/** Logical id of a construct's CloudFormation resource. */
const logicalId = (construct: IConstruct): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** Logical id of a function's execution role. */
function roleOf(fn: IFunction): string {
  if (fn.role === undefined) throw new Error(`${fn.node.path} has no role`);
  return logicalId(fn.role);
}

/** Every statement of the identity policies attached to a role. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

/** Whether a statement's resources mention a resource, by logical id (Ref or Fn::GetAtt, or inside a Join). */
const mentions = (statement: Statement, resourceLogicalId: string): boolean =>
  JSON.stringify(statement.Resource).includes(`"${resourceLogicalId}"`);

beforeAll(() => {
  // Bundles the seven functions with esbuild: once for the whole file.
  const app = new App({ context: cdkJson.context });
  stack = new EcouteStack(app, 'EcouteTest');
  template = Template.fromStack(stack);
}, 120_000);

describe('EcouteStack data', () => {
  it('keeps events on an encrypted on-demand stream for longer than a day', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
      ShardCount: Match.absent(),
    });
    const [stream] = Object.values(template.findResources('AWS::Kinesis::Stream')) as Json[];
    const { RetentionPeriodHours } = (stream as { Properties: { RetentionPeriodHours: number } }).Properties;
    expect(RetentionPeriodHours).toBeGreaterThan(24);
  });

  it('bills both tables on demand, with point-in-time recovery and string pk/sk keys', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KEY.partition, KeyType: 'HASH' },
        { AttributeName: KEY.sort, KeyType: 'RANGE' },
      ],
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('streams new images of the customers table, expires items by TTL and indexes the delivery queue and due timers', () => {
    const { deliveryQueueIndex, timerDueIndex } = CUSTOMERS_TABLE;
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: CUSTOMERS_TABLE.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: deliveryQueueIndex.name,
          KeySchema: [
            { AttributeName: deliveryQueueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: deliveryQueueIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: timerDueIndex.name,
          KeySchema: [
            { AttributeName: timerDueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: timerDueIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['timer'] },
        },
      ],
    });
  });

  it('expires the config table’s rate-limit counters by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: Match.absent(),
      StreamSpecification: Match.absent(),
      TimeToLiveSpecification: { AttributeName: CONFIG_TABLE.timeToLiveAttribute, Enabled: true },
    });
  });

  it('retains tables, with deletion protection, unless told otherwise', () => {
    template.allResources('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
      }),
    });
    template.allResources('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
  });

  it('keeps failed batches for 14 days in encrypted queues', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      KmsMasterKeyId: Match.anyValue(),
    });
  });

  it('encrypts both tables, the stream, the failure queues and the erasure salt with one rotated customer-managed key', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = logicalId(stack.data.dataKey.key);
    const keyArn = { 'Fn::GetAtt': [key, 'Arn'] };
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: keyArn } })],
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: keyArn },
    });
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
  });

  it('keeps erasure tombstones longer than the stream keeps records', () => {
    expect(TOMBSTONE_DAYS * 24).toBeGreaterThan(EVENTS_RETENTION.toHours());
  });
});

describe('EcouteStack functions', () => {
  it('runs every function on Node.js 24, arm64, with JSON logs and the resource names', () => {
    template.resourceCountIs('AWS::Lambda::Function', 8);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          CONFIG_TABLE: { Ref: logicalId(stack.data.config.table) },
          CUSTOMERS_TABLE: { Ref: logicalId(stack.data.customers.table) },
          EVENTS_STREAM: { Ref: logicalId(stack.data.events.stream) },
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'ecoute',
          LOG_LEVEL: 'INFO',
        }),
      },
    });
  });

  it('names the metrics namespace and service of the processor, dispatcher and sweeper, which publish EMF metrics', () => {
    for (const { function: publisher } of [
      stack.processor.function,
      stack.dispatcher.function,
      stack.sweeper.function,
    ]) {
      const resource = template.toJSON().Resources[logicalId(publisher)] as { Properties: Json };
      const { Variables } = resource.Properties.Environment as { Variables: Json };
      expect(Variables, publisher.node.path).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'Ecoute',
        POWERTOOLS_SERVICE_NAME: 'ecoute',
      });
      expect(Variables, publisher.node.path).not.toHaveProperty('POWERTOOLS_METRICS_DISABLED');
    }
  });

  it('never lets a function send webhooks to private addresses (no local-development flag)', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(8);
    for (const fn of functions) {
      const variables = (fn.Properties as Json).Environment as { Variables: Json };
      expect(Object.keys(variables.Variables)).not.toContain('ALLOW_PRIVATE_WEBHOOKS');
    }
    expect(JSON.stringify(template.toJSON())).not.toContain('ALLOW_PRIVATE_WEBHOOKS');
  });

  it('keeps function and access logs for one month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 9);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('feeds the processor from the stream with partial failures, bisection, bounded retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.data.events.stream), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.processor.function.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: Match.anyValue(),
      MaximumRecordAgeInSeconds: Match.anyValue(),
      ParallelizationFactor: Match.anyValue(),
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.data.processorFailures.queue), 'Arn'] } },
      },
    });
  });

  it('bounds the retries and the record age of both stream mappings', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as {
      Properties: Json;
    }[];
    expect(mappings).toHaveLength(2);
    for (const { Properties } of mappings) {
      expect(Properties.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(Properties.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(Properties.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(Properties.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(7 * 24 * 3600);
      expect(Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(Properties.BisectBatchOnFunctionError).toBe(true);
      expect(Properties.DestinationConfig).toHaveProperty('OnFailure.Destination');
    }
  });

  it('invokes the dispatcher only for inserted actions of the customers table stream', () => {
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalId(stack.dispatcher.function.function) } },
    });
    expect(Object.keys(mappings)).toHaveLength(1);
    const { Properties } = Object.values(mappings)[0] as { Properties: Json };
    expect(Properties.EventSourceArn).toEqual({
      'Fn::GetAtt': [logicalId(stack.data.customers.table), 'StreamArn'],
    });
    expect(Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.data.dispatcherFailures.queue), 'Arn'] } },
    });
    const filters = (Properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { [KEY.sort]: { S: [{ prefix: 'ACTION#' }] } } } },
    ]);
  });

  it('runs the sweeper every minute, without retrying a failed run', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.sweeper.function.function), 'Arn'] },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
        }),
      ],
    });
  });
});

describe('EcouteStack HTTP API', () => {
  it.each(HTTP_ROUTES.map((route) => ({ ...route, routeKey: `${route.method} ${route.path}` })))(
    'routes $routeKey to the $fn function',
    ({ routeKey, fn }) => {
      const routes = Object.values(
        template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
      ) as { Properties: { Target: { 'Fn::Join': [string, [string, { Ref: string }]] } } }[];
      expect(routes).toHaveLength(1);
      const integrationId = routes[0]?.Properties.Target['Fn::Join'][1][1].Ref ?? '';
      const integration = template.toJSON().Resources[integrationId] as { Properties: Json };
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.api.functions[fn].function), 'Arn'] },
      });
    },
  );

  it('has no route that HTTP_ROUTES does not declare', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', HTTP_ROUTES.length);
  });

  it('throttles the default stage and writes a JSON access log without personal data', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack.api.accessLogs), 'Arn'] },
        Format: Match.anyValue(),
      },
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as {
      Properties: { AccessLogSettings: { Format: string } };
    }[];
    const format = stage?.Properties.AccessLogSettings.Format ?? '';
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
    });
    for (const personal of ['sourceIp', 'userAgent', '$context.path', 'requestBody']) {
      expect(format).not.toContain(personal);
    }
  });

  it('outputs the API URL and the names of the stream and tables', () => {
    for (const output of ['ApiUrl', 'EventsStreamName', 'ConfigTableName', 'CustomersTableName']) {
      template.hasOutput(output, { Value: Match.anyValue() });
    }
  });
});

describe('EcouteStack permissions', () => {
  const writeActions = [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ];

  it('lets the ingest function put records on the stream', () => {
    const statements = statementsOfRole(roleOf(stack.api.functions.ingest.function));
    const putRecords = statements.filter(
      (s) => s.Effect === 'Allow' && asArray(s.Action).includes('kinesis:PutRecords'),
    );
    expect(putRecords).toHaveLength(1);
    expect(putRecords[0]?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.data.events.stream), 'Arn'] });
  });

  it('does not let the ingest function touch the customers table', () => {
    const statements = statementsOfRole(roleOf(stack.api.functions.ingest.function));
    expect(statements.length).toBeGreaterThan(0);
    const customersTable = logicalId(stack.data.customers.table);
    for (const statement of statements) expect(mentions(statement, customersTable)).toBe(false);
  });

  it('lets the ingest function write only its rate-limit counters in the config table', () => {
    const statements = statementsOfRole(roleOf(stack.api.functions.ingest.function));
    const writes = statements.filter((statement) =>
      asArray(statement.Action).some((action) => writeActions.includes(action) || action.endsWith(':*')),
    );
    expect(writes).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [logicalId(stack.data.config.table), 'Arn'] },
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CONFIG_TABLE.quotaKeyPrefix}*`] },
        },
      },
    ]);
  });

  it('lets only the processor put items in the customers table, the decision API its impressions, the customer and privacy APIs erasure receipts', () => {
    const customersTable = logicalId(stack.data.customers.table);
    const roles = Object.keys(template.findResources('AWS::IAM::Role'));
    const putters = roles.filter((role) =>
      statementsOfRole(role).some(
        (s) => mentions(s, customersTable) && asArray(s.Action).includes('dynamodb:PutItem'),
      ),
    );
    expect(putters.sort()).toEqual(
      [
        roleOf(stack.processor.function.function),
        roleOf(stack.api.functions['decision-api'].function),
        roleOf(stack.api.functions['customer-api'].function),
        roleOf(stack.api.functions['privacy-api'].function),
      ].sort(),
    );
  });

  it('lets the customer and privacy APIs put only erasure receipts: under the tombstones’ prefix, with their attributes', () => {
    const customersTable = logicalId(stack.data.customers.table);
    for (const name of ['customer-api', 'privacy-api'] as const) {
      const statements = statementsOfRole(roleOf(stack.api.functions[name].function));
      const writes = statements.filter(
        (s) =>
          mentions(s, customersTable) && asArray(s.Action).some((action) => writeActions.includes(action)),
      );
      expect(writes).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': [customersTable, 'Arn'] },
          Condition: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ERASED_KEY_PREFIX}*`] },
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...ERASURE_RECEIPT_ATTRIBUTES] },
          },
        },
      ]);
    }
    for (const attribute of ['state', 'action', 'timer', 'erasedAt', 'erasureIds'])
      expect(ERASURE_RECEIPT_ATTRIBUTES).not.toContain(attribute);
  });

  it('lets the decision API get customers’ items by key and put only CAPS and DECISION# items, in a transaction', () => {
    const statements = statementsOfRole(roleOf(stack.api.functions['decision-api'].function));
    const customersTable = logicalId(stack.data.customers.table);
    const onCustomers = statements.filter((s) => mentions(s, customersTable));
    const table = { 'Fn::GetAtt': [customersTable, 'Arn'] };
    expect(onCustomers).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table },
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: table,
        Condition: {
          'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...IMPRESSION_ATTRIBUTES] },
        },
      },
    ]);
    // The attributes that make a STATE, an action or a timer are not among them.
    for (const attribute of ['state', 'action', 'timer', 'queue', 'timerQueue'])
      expect(IMPRESSION_ATTRIBUTES).not.toContain(attribute);
    const configTable = logicalId(stack.data.config.table);
    const writes = statements.filter(
      (s) => mentions(s, configTable) && asArray(s.Action).some((action) => writeActions.includes(action)),
    );
    expect(writes).toEqual([]);
  });

  it('lets the sweeper put timer records on the stream and only query and update the customers table', () => {
    const statements = statementsOfRole(roleOf(stack.sweeper.function.function));
    const stream = logicalId(stack.data.events.stream);
    const onStream = statements.filter((s) => mentions(s, stream));
    expect(onStream).toEqual([
      { Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: { 'Fn::GetAtt': [stream, 'Arn'] } },
    ]);

    const customersTable = logicalId(stack.data.customers.table);
    const onCustomers = statements.filter((s) => mentions(s, customersTable));
    expect(onCustomers).toHaveLength(1);
    expect(asArray(onCustomers[0]?.Action).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    // The table and its indexes (the due queues), nothing else.
    expect(asArray(onCustomers[0]?.Resource)).toEqual([
      { 'Fn::GetAtt': [customersTable, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [customersTable, 'Arn'] }, '/index/*']] },
    ]);
    const scans = statements.filter((s) => asArray(s.Action).includes('dynamodb:Scan'));
    expect(scans.filter((s) => mentions(s, customersTable))).toEqual([]);
  });

  it('lets the config API read and write the config table only', () => {
    const statements = statementsOfRole(roleOf(stack.api.functions['config-api'].function));
    const configTable = logicalId(stack.data.config.table);
    const onData = statements.filter((s) =>
      asArray(s.Action).some((action) => /^(dynamodb|kinesis):/.test(action)),
    );
    expect(onData.length).toBeGreaterThan(0);
    for (const statement of onData) expect(mentions(statement, configTable)).toBe(true);
    expect(onData.flatMap((s) => asArray(s.Action))).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query']),
    );
  });

  it('grants no wildcard action and no wildcard resource to any function', () => {
    for (const role of Object.keys(template.findResources('AWS::IAM::Role'))) {
      for (const statement of statementsOfRole(role)) {
        expect(asArray(statement.Action).filter((action) => action === '*' || action.endsWith(':*'))).toEqual(
          [],
        );
        expect(asArray(statement.Resource)).not.toContain('*');
      }
    }
  });
});

describe('EcouteStack for development', () => {
  it('destroys the data with the stack when asked to', () => {
    // Skips bundling: only the removal policies are under test here.
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const devStack = new EcouteStack(app, 'EcouteDev', { dataRemovalPolicy: RemovalPolicy.DESTROY });
    const dev = Template.fromStack(devStack);
    for (const type of [
      'AWS::DynamoDB::GlobalTable',
      'AWS::Kinesis::Stream',
      'AWS::SQS::Queue',
      'AWS::Logs::LogGroup',
    ]) {
      dev.allResources(type, { DeletionPolicy: 'Delete' });
    }
    dev.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
    // Synthesising a second stack takes seconds on a busy machine.
  }, 60_000);
});
