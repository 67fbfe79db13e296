/**
 * The HTTP surface, as data: which function answers which route. The CDK stack builds the
 * API Gateway HTTP API from it and the local host serves the same routes, so the two cannot
 * drift apart.
 */
export const HTTP_FUNCTIONS = ['ingest', 'customer-api'] as const;
export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  path: string;
  fn: HttpFunctionName;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { method: 'POST', path: '/v1/track', fn: 'ingest' },
  { method: 'POST', path: '/v1/batch', fn: 'ingest' },
  { method: 'GET', path: '/v1/customers/{customerId}', fn: 'customer-api' },
  { method: 'GET', path: '/v1/customers/{customerId}/actions', fn: 'customer-api' },
];

/** Maximum accepted request body, in bytes (Segment's batch limit); larger bodies get 413. */
export const MAX_BODY_BYTES = 500 * 1024;
