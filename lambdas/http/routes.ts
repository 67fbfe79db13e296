import { TRACKING_LIMITS } from '../../schemas/tracking-api.js';

/**
 * The HTTP surface, as data: which function answers which route. The CDK stack builds the
 * API Gateway HTTP API from it and the local host serves the same routes, so the two cannot
 * drift apart.
 */
export const HTTP_FUNCTIONS = [
  'ingest',
  'customer-api',
  'decision-api',
  'config-api',
  'privacy-api',
] as const;
export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  path: string;
  fn: HttpFunctionName;
}

/**
 * The tracking endpoints and what each takes: one call of the type it names, or a batch.
 * Segment's browser library posts to the one-letter paths (`/v1/t` for track…); they are the same.
 */
export const TRACKING_ENDPOINTS = {
  '/v1/track': 'track',
  '/v1/page': 'page',
  '/v1/screen': 'screen',
  '/v1/identify': 'identify',
  '/v1/group': 'group',
  '/v1/alias': 'alias',
  '/v1/batch': 'batch',
  '/v1/t': 'track',
  '/v1/p': 'page',
  '/v1/s': 'screen',
  '/v1/i': 'identify',
  '/v1/g': 'group',
  '/v1/a': 'alias',
  '/v1/b': 'batch',
} as const;
export type TrackingEndpoint = (typeof TRACKING_ENDPOINTS)[keyof typeof TRACKING_ENDPOINTS];

export const HTTP_ROUTES: readonly HttpRoute[] = [
  ...Object.keys(TRACKING_ENDPOINTS).map((path) => ({
    method: 'POST' as const,
    path,
    fn: 'ingest' as const,
  })),
  { method: 'GET', path: '/v1/customers/{customerId}', fn: 'customer-api' },
  { method: 'GET', path: '/v1/customers/{customerId}/actions', fn: 'customer-api' },
  { method: 'GET', path: '/v1/customers/{customerId}/consent', fn: 'customer-api' },
  { method: 'PUT', path: '/v1/customers/{customerId}/consent', fn: 'customer-api' },
  { method: 'GET', path: '/v1/customers/{customerId}/decisions', fn: 'customer-api' },
  { method: 'GET', path: '/v1/customers/{customerId}/export', fn: 'customer-api' },
  { method: 'DELETE', path: '/v1/customers/{customerId}', fn: 'customer-api' },
  { method: 'GET', path: '/v1/me', fn: 'privacy-api' },
  { method: 'GET', path: '/v1/me/consent', fn: 'privacy-api' },
  { method: 'PUT', path: '/v1/me/consent', fn: 'privacy-api' },
  { method: 'GET', path: '/v1/me/decisions', fn: 'privacy-api' },
  { method: 'GET', path: '/v1/me/export', fn: 'privacy-api' },
  { method: 'POST', path: '/v1/me/erasure', fn: 'privacy-api' },
  { method: 'GET', path: '/v1/me/erasure/{erasureId}', fn: 'privacy-api' },
  { method: 'POST', path: '/v1/privacy-keys', fn: 'config-api' },
  { method: 'GET', path: '/v1/privacy-keys', fn: 'config-api' },
  { method: 'DELETE', path: '/v1/privacy-keys/{kid}', fn: 'config-api' },
  { method: 'GET', path: '/v1/decide', fn: 'decision-api' },
  { method: 'GET', path: '/v1/openapi.json', fn: 'config-api' },
  { method: 'POST', path: '/v1/api-keys', fn: 'config-api' },
  { method: 'GET', path: '/v1/api-keys', fn: 'config-api' },
  { method: 'DELETE', path: '/v1/api-keys/{keyId}', fn: 'config-api' },
  { method: 'GET', path: '/v1/audit', fn: 'config-api' },
  { method: 'GET', path: '/v1/journeys', fn: 'config-api' },
  { method: 'GET', path: '/v1/journeys/{journeyId}', fn: 'config-api' },
  { method: 'PUT', path: '/v1/journeys/{journeyId}', fn: 'config-api' },
  { method: 'GET', path: '/v1/journeys/{journeyId}/audit', fn: 'config-api' },
  { method: 'GET', path: '/v1/actions', fn: 'config-api' },
  { method: 'PUT', path: '/v1/actions/{actionId}', fn: 'config-api' },
  { method: 'GET', path: '/v1/settings', fn: 'config-api' },
  { method: 'PUT', path: '/v1/settings', fn: 'config-api' },
  { method: 'GET', path: '/v1/caps', fn: 'config-api' },
  { method: 'PUT', path: '/v1/caps', fn: 'config-api' },
  { method: 'GET', path: '/v1/webhooks', fn: 'config-api' },
  { method: 'PUT', path: '/v1/webhooks/{channel}', fn: 'config-api' },
  ...(['publish', 'pause', 'resume', 'archive', 'simulate'] as const).map((verb) => ({
    method: 'POST' as const,
    path: `/v1/journeys/{journeyId}/${verb}`,
    fn: 'config-api' as const,
  })),
];

/** Maximum accepted request body, in bytes (Segment's batch limit); larger bodies get 413. */
export const MAX_BODY_BYTES = TRACKING_LIMITS.maxBodyBytes;
