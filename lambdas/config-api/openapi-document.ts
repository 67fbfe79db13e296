import * as z from 'zod';
import { ActionsResponse } from '../../schemas/action.js';
import { ApiError } from '../../schemas/api-error.js';
import { ApiKeyList, ApiKeySummary, CreateApiKeyRequest, CreatedApiKey } from '../../schemas/api-key.js';
import { Condition } from '../../schemas/condition.js';
import {
  ActionCatalog,
  ActionDefinition,
  ActionDefinitionInput,
  AuditList,
  GlobalCaps,
  JourneyDraft,
  JourneyList,
  JourneyResource,
  JourneyResourceWithVersions,
  PutWebhookRequest,
  SimulateRequest,
  SimulateResponse,
  TenantAuditList,
  TenantSettings,
  WebhookList,
  WebhookResource,
} from '../../schemas/config-api.js';
import { ConsentAccepted, ConsentResponse, ConsentUpdateRequest } from '../../schemas/consent.js';
import { CustomerProfileResponse } from '../../schemas/customer-api.js';
import { DecideQuery, DecideResponse } from '../../schemas/decision-api.js';
import { FullJourney } from '../../schemas/journey.js';
import {
  CustomerExport,
  DecisionPage,
  ErasureReceipt,
  ErasureStatusResponse,
  MyConsentChangeRequest,
  MyConsentResponse,
  MyDecisionsResponse,
  PrivacyKeyResource,
} from '../../schemas/privacy.js';
import { BatchEnvelope, CALL_INPUTS, TrackingResponse } from '../../schemas/tracking-api.js';
import { HTTP_ROUTES, TRACKING_ENDPOINTS } from '../http/routes.js';

/** What the document says of one route, beyond its method and path (which come from HTTP_ROUTES). */
export interface RouteDoc {
  summary: string;
  tag: 'Tracking' | 'Customers' | 'Decisions' | 'Privacy' | 'Config' | 'API keys' | 'Meta';
  auth: 'writeKey' | 'apiKey' | 'privacyToken' | 'none';
  /** The API key scope the route needs (`admin` has all). */
  scope?: string;
  /** The query string's parameters (a schema of strings). */
  query?: z.ZodObject;
  request?: z.ZodType;
  response?: z.ZodType;
  status?: number;
  /** A write to an existing resource: `If-Match` required, `ETag` answered. */
  conditional?: boolean;
}

const trackingDocs: Record<string, RouteDoc> = Object.fromEntries(
  Object.entries(TRACKING_ENDPOINTS).map(([path, type]) => [
    `POST ${path}`,
    {
      summary:
        type === 'batch'
          ? 'Send several calls at once (Segment batch)'
          : `Send a ${type} call (Segment-compatible)`,
      tag: 'Tracking',
      auth: 'writeKey',
      request: type === 'batch' ? BatchEnvelope : CALL_INPUTS[type],
      response: TrackingResponse,
    } satisfies RouteDoc,
  ]),
);

/** Every route's description, by route key (`METHOD /path`): a test checks none is missing. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  ...trackingDocs,
  'GET /v1/customers/{customerId}': {
    summary: "A customer's profile: traits and when each was set, channels, journeys",
    tag: 'Customers',
    auth: 'writeKey',
    response: CustomerProfileResponse,
  },
  'GET /v1/customers/{customerId}/actions': {
    summary: 'Actions fired for a customer, newest first',
    tag: 'Customers',
    auth: 'writeKey',
    response: ActionsResponse,
  },
  'GET /v1/customers/{customerId}/consent': {
    summary: "A customer's consent: the current ledger per purpose and channel, and its append-only history",
    tag: 'Customers',
    auth: 'writeKey',
    response: ConsentResponse,
  },
  'PUT /v1/customers/{customerId}/consent': {
    summary:
      "Record a consent change (per purpose and channel, with time, source, policy version, proof); applied in order with the customer's events",
    tag: 'Customers',
    auth: 'writeKey',
    request: ConsentUpdateRequest,
    response: ConsentAccepted,
    status: 202,
  },
  'GET /v1/customers/{customerId}/decisions': {
    summary: 'Decisions taken or suppressed for a customer, with their reasons, newest first (cursor pages)',
    tag: 'Customers',
    auth: 'writeKey',
    response: DecisionPage,
  },
  'GET /v1/customers/{customerId}/export': {
    summary: 'Everything stored about a customer, merged ids included (GDPR art. 15)',
    tag: 'Customers',
    auth: 'apiKey',
    scope: 'privacy',
    response: CustomerExport,
  },
  'DELETE /v1/customers/{customerId}': {
    summary: 'Erase a customer everywhere (GDPR art. 17); answers an erasure receipt',
    tag: 'Customers',
    auth: 'apiKey',
    scope: 'privacy',
    response: ErasureReceipt,
    status: 202,
  },
  'GET /v1/me': {
    summary: 'The customer’s own profile',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: CustomerProfileResponse,
  },
  'GET /v1/me/consent': {
    summary: 'The customer’s current consents',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: MyConsentResponse,
  },
  'PUT /v1/me/consent': {
    summary: 'Give or withdraw consent, per purpose and channel',
    tag: 'Privacy',
    auth: 'privacyToken',
    request: MyConsentChangeRequest,
    status: 202,
  },
  'GET /v1/me/decisions': {
    summary: 'What was done or held back for the customer, in plain words',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: MyDecisionsResponse,
  },
  'GET /v1/me/export': {
    summary: 'Everything stored about the customer, as one JSON document',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: CustomerExport,
  },
  'POST /v1/me/erasure': {
    summary: 'Erase the customer everywhere; answers an erasure receipt',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: ErasureReceipt,
    status: 202,
  },
  'GET /v1/me/erasure/{erasureId}': {
    summary: 'Where an erasure stands',
    tag: 'Privacy',
    auth: 'privacyToken',
    response: ErasureStatusResponse,
  },
  'POST /v1/privacy-keys': {
    summary: 'Create a key to sign customers’ privacy tokens with; the secret is shown in this answer only',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
    response: PrivacyKeyResource,
    status: 201,
  },
  'GET /v1/privacy-keys': {
    summary: 'List live privacy keys (never their secrets)',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
  },
  'DELETE /v1/privacy-keys/{kid}': {
    summary: 'Revoke a privacy key: tokens signed with it are refused',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
  },
  'GET /v1/decide': {
    summary:
      'The best offer for a placement now (or none, with the reason), counted as an impression against ' +
      'caps; the write key, or an API key with the decide scope',
    tag: 'Decisions',
    auth: 'writeKey',
    query: DecideQuery,
    response: DecideResponse,
  },
  'GET /v1/openapi.json': { summary: 'This document', tag: 'Meta', auth: 'none' },
  'POST /v1/api-keys': {
    summary: 'Create an API key; the key is shown in this answer only',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
    request: CreateApiKeyRequest,
    response: CreatedApiKey,
    status: 201,
  },
  'GET /v1/api-keys': {
    summary: 'List API keys (never the keys themselves)',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
    response: ApiKeyList,
  },
  'DELETE /v1/api-keys/{keyId}': {
    summary: 'Revoke an API key',
    tag: 'API keys',
    auth: 'apiKey',
    scope: 'admin',
    response: ApiKeySummary,
  },
  'GET /v1/journeys': {
    summary: 'List journeys',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: JourneyList,
  },
  'GET /v1/journeys/{journeyId}': {
    summary: 'A journey: its draft, status and published versions (with ETag)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: JourneyResourceWithVersions,
  },
  'PUT /v1/journeys/{journeyId}': {
    summary:
      'Create the journey as a draft (201), or replace its draft (If-Match required); drafts may be invalid',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    request: JourneyDraft,
    response: JourneyResource,
    conditional: true,
  },
  'GET /v1/journeys/{journeyId}/audit': {
    summary: 'Who changed what, when',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: AuditList,
  },
  'POST /v1/journeys/{journeyId}/publish': {
    summary: 'Validate the draft (422 invalid_journey with every mistake) and freeze it as the next version',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    response: JourneyResource,
    conditional: true,
  },
  'POST /v1/journeys/{journeyId}/pause': {
    summary: 'Stop new entries; running instances go on',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    response: JourneyResource,
    conditional: true,
  },
  'POST /v1/journeys/{journeyId}/resume': {
    summary: 'Admit new entries again',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    response: JourneyResource,
    conditional: true,
  },
  'POST /v1/journeys/{journeyId}/archive': {
    summary: 'Retire the journey: no new entries, running instances finish on their version',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    response: JourneyResource,
    conditional: true,
  },
  'POST /v1/journeys/{journeyId}/simulate': {
    summary: 'Dry run of the draft or a version through the production engine; writes nothing',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    request: SimulateRequest,
    response: SimulateResponse,
  },
  'GET /v1/actions': {
    summary: 'The action catalog: the actions journeys may fire',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: ActionCatalog,
  },
  'PUT /v1/actions/{actionId}': {
    summary: 'Add an action to the catalog (201) or change it (If-Match)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    request: ActionDefinitionInput,
    response: ActionDefinition,
    conditional: true,
  },
  'GET /v1/audit': {
    summary: 'Who changed keys, webhooks, actions, settings and caps, when, and what',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'admin',
    response: TenantAuditList,
  },
  'GET /v1/settings': {
    summary:
      'Tenant settings: consent defaults and purposes, arbitration weights, quiet hours, presence windows, retention',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: TenantSettings,
  },
  'PUT /v1/settings': {
    summary: 'Replace the tenant settings (If-Match once they exist)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'admin',
    request: TenantSettings,
    response: TenantSettings,
    conditional: true,
  },
  'GET /v1/caps': {
    summary: 'Frequency caps per channel or for all channels, enforced by decisioning (push and pull)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: GlobalCaps,
  },
  'PUT /v1/caps': {
    summary: 'Replace the global caps (If-Match once they exist)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:write',
    request: GlobalCaps,
    response: GlobalCaps,
    conditional: true,
  },
  'GET /v1/webhooks': {
    summary: 'Configured delivery channels (secrets hinted, never shown)',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'config:read',
    response: WebhookList,
  },
  'PUT /v1/webhooks/{channel}': {
    summary:
      'Set where a channel delivers (https, public address: else 422 unsafe_webhook_url); a new or rotated signing secret is shown once',
    tag: 'Config',
    auth: 'apiKey',
    scope: 'admin',
    request: PutWebhookRequest,
    response: WebhookResource,
    conditional: true,
  },
};

/** Named schemas: referenced by name, so a recursive one (Condition) is one `$ref`, not unrolled. */
const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  ApiError,
  Condition,
  Journey: FullJourney,
};

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Malformed request (code, message, path)',
  '401': 'Missing, unknown or revoked key',
  '403': 'The API key lacks the scope (own tenant only)',
  '404': 'Not found — also for every resource of another tenant',
  '409': 'Not possible in the resource’s current state',
  '412': 'If-Match is stale: read again',
  '413': 'Body too large',
  '422':
    'Invalid: a journey (invalid_journey, errors lists each mistake with its path) or a webhook URL the SSRF rules refuse (unsafe_webhook_url, path url)',
  '428': 'If-Match is required',
  '429': 'Rate limited (Retry-After)',
};

let cached: Record<string, unknown> | undefined;

/**
 * The OpenAPI 3.1 document of the whole public API, generated from the zod schemas (zod 4's
 * own JSON Schema output, whose dialect OpenAPI 3.1 uses) and the route table, so it cannot
 * describe a route that does not exist or miss one that does.
 */
export function openApiDocument(): Record<string, unknown> {
  cached ??= buildDocument();
  return cached;
}

function buildDocument(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id });
  const named = z.toJSONSchema(registry, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(named)) schemas[id] = withoutDialect(schema);
  // Route schemas are inline; a named schema inside one (the catalog's eligibility Condition) is
  // pointed at its component instead of a local "#/$defs" copy (a test checks none is left).
  const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
    const { $defs, ...inline } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
      metadata: registry,
    });
    const unnamed = Object.keys($defs ?? {}).filter((id) => schemas[id] === undefined);
    if (unnamed.length > 0) throw new Error(`schemas ${unnamed.join(', ')} must be named components`);
    return withoutDialect(
      JSON.parse(JSON.stringify(inline).replaceAll('"#/$defs/', '"#/components/schemas/')),
    );
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of HTTP_ROUTES) {
    const doc = ROUTE_DOCS[`${route.method} ${route.path}`];
    if (doc === undefined) continue;
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (doc.query !== undefined) {
      const properties = (jsonSchemaOf(doc.query, 'input') as { properties: Record<string, unknown> })
        .properties;
      for (const [name, schema] of Object.entries(properties))
        parameters.push({
          name,
          in: 'query',
          required: !doc.query.shape[name]?.safeParse(undefined).success,
          schema,
        } as never);
    }
    if (doc.conditional)
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        schema: { type: 'string' },
      } as never);
    const errors = Object.fromEntries(
      Object.entries(ERROR_STATUSES).map(([status, description]) => [
        status,
        {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
        },
      ]),
    );
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: doc.summary,
      tags: [doc.tag],
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      security: doc.auth === 'none' ? [] : [{ [doc.auth]: doc.scope === undefined ? [] : [doc.scope] }],
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(doc.request === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchemaOf(doc.request, 'input') } },
            },
          }),
      responses: {
        [String(doc.status ?? 200)]: {
          description: 'Success',
          ...(doc.response === undefined
            ? {}
            : { content: { 'application/json': { schema: jsonSchemaOf(doc.response, 'output') } } }),
        },
        ...errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Écoute API',
      version: '1',
      description: 'Tracking (Segment-compatible), customers, decisions and configuration of Écoute.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        writeKey: { type: 'http', scheme: 'basic', description: 'The write key as username, empty password' },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key; scopes: ingest, config:read, config:write, privacy, decide, admin',
        },
        privacyToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT (HS256) the tenant signs for one customer with a privacy key (kid in the header); claims iss "ecoute-tenant", aud "ecoute-privacy", tid, sub, iat, exp ≤ iat + 1 h',
        },
      },
    },
  };
}

function withoutDialect(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}
