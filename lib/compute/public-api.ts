import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CONFIG_TABLE,
  ERASED_KEY_PREFIX,
  ERASURE_RECEIPT_ATTRIBUTES,
  IMPRESSION_ATTRIBUTES,
} from '../../lambdas/adapters/table-design.js';
import { HTTP_ROUTES, type HttpFunctionName } from '../../lambdas/http/routes.js';
import type { EcouteData } from '../data/ecoute-data.js';
import { EcouteFunction, type EcouteFunctionSettings } from './ecoute-function.js';

interface HttpFunctionSpec {
  /** Construct id of the function. */
  readonly id: string;
  readonly description: string;
  readonly grant: (fn: IFunction, data: EcouteData) => void;
}

/**
 * An erasure request leaves a receipt beside the tombstone: only items under the tombstones'
 * partition prefix, only with a receipt's attributes — never a customer's own item.
 */
function grantErasureReceipts(fn: IFunction, data: EcouteData): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [data.customers.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ERASED_KEY_PREFIX}*`] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...ERASURE_RECEIPT_ATTRIBUTES] },
      },
    }),
  );
}

/**
 * The functions behind the API, one per `HttpFunctionName`: a function added to
 * `lambdas/http/routes.ts` does not compile here until it is described.
 */
const HTTP_FUNCTIONS: Record<HttpFunctionName, HttpFunctionSpec> = {
  ingest: {
    id: 'Ingest',
    description:
      'Tracking API: authenticates the write key, validates calls, counts the quota, puts them on the stream',
    grant: (fn, data) => {
      data.config.table.grantReadData(fn);
      data.events.stream.grantWrite(fn);
      // The per-tenant event quota: counters only, never a tenant, key or journey.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [data.config.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CONFIG_TABLE.quotaKeyPrefix}*`] },
          },
        }),
      );
    },
  },
  'customer-api': {
    id: 'CustomerApi',
    description: "Customer API: a customer's profile, actions, decisions, export and erasure",
    grant: (fn, data) => {
      data.config.table.grantReadData(fn);
      data.customers.table.grantReadData(fn);
      // Erasure requests travel through the stream, like every change to a customer.
      data.events.stream.grantWrite(fn);
      grantErasureReceipts(fn, data);
    },
  },
  'privacy-api': {
    id: 'PrivacyApi',
    description:
      'Privacy API: a customer, with a token their tenant signed, sees and exports their data, changes consents, asks for erasure',
    grant: (fn, data) => {
      data.config.table.grantReadData(fn);
      data.customers.table.grantReadData(fn);
      data.events.stream.grantWrite(fn);
      grantErasureReceipts(fn, data);
    },
  },
  'decision-api': {
    id: 'DecisionApi',
    description: 'Decision API: the best offer for a placement now, counted against caps',
    grant: (fn, data) => {
      data.config.table.grantReadData(fn);
      // The customer's state and caps, read by key: no Query, no Scan.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [data.customers.table.tableArn],
        }),
      );
      // The impression: the CAPS item and a DECISION# item, only inside a transaction, and only
      // with the attributes those items have — never a STATE, ACTION# or TIMER# item, whose
      // attributes (state, action, timer) are not in the list.
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [data.customers.table.tableArn],
          conditions: {
            'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] },
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...IMPRESSION_ATTRIBUTES] },
          },
        }),
      );
    },
  },
  'config-api': {
    id: 'ConfigApi',
    description: 'Config API: API keys, journeys (draft, publish, pause, archive), audit, dry run, OpenAPI',
    // The config table only: a dry run runs the engine in memory and never reads customers.
    grant: (fn, data) => data.config.table.grantReadWriteData(fn),
  },
};

/**
 * What API Gateway logs for each request. No source IP, user agent or path: the path carries
 * customer ids, and an access log is no place for personal data. The route key says which
 * route answered; the request id joins the line to the function's logs.
 * Variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

export interface PublicApiProps extends EcouteFunctionSettings {
  /** Requests per second the default stage accepts, sustained. */
  readonly throttleRateLimit: number;
  /** Requests the default stage accepts in a burst. */
  readonly throttleBurstLimit: number;
}

/**
 * The public HTTP API (API Gateway HTTP API, payload format 2.0): the Segment-compatible
 * tracking routes answered by the ingest function and the customer actions route answered by
 * the customer API function. Routes are built from `HTTP_ROUTES` in `lambdas/http/routes.ts`,
 * the table the local host serves too, so the two cannot drift apart.
 *
 * Authentication is the tenant's write key, checked by the functions; the default stage is
 * throttled and writes a JSON access log.
 */
export class PublicApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly functions: Record<HttpFunctionName, EcouteFunction>;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);
    const { throttleRateLimit, throttleBurstLimit, ...settings } = props;

    this.functions = mapValues(HTTP_FUNCTIONS, (spec, name) => {
      const fn = new EcouteFunction(this, spec.id, {
        ...settings,
        name,
        description: spec.description,
        memorySize: 512,
        // Well under API Gateway's 30 s integration limit: a client should not wait longer.
        timeout: Duration.seconds(10),
      });
      spec.grant(fn.function, settings.data);
      return fn;
    });

    this.api = new apigwv2.HttpApi(this, 'Resource', {
      description: 'Écoute public API: tracking, customers and configuration',
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: settings.logRemovalPolicy,
    });

    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttleRateLimit, burstLimit: throttleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const integrations = mapValues(
      this.functions,
      (fn, name) =>
        new HttpLambdaIntegration(`${HTTP_FUNCTIONS[name].id}Integration`, fn.function, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        }),
    );
    for (const route of HTTP_ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: integrations[route.fn],
      });
    }
  }

  /** The API's base URL, ending with `/`. */
  get url(): string {
    return this.stage.url;
  }
}

function mapValues<K extends string, V, W>(record: Record<K, V>, f: (value: V, key: K) => W): Record<K, W> {
  const entries = (Object.entries(record) as [K, V][]).map(([key, value]) => [key, f(value, key)] as const);
  return Object.fromEntries(entries) as Record<K, W>;
}
