import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface HttpRequest {
  /** Sent as the HTTP Basic username with an empty password, as Segment's libraries do. */
  writeKey?: string;
  /** A string is sent as is (malformed JSON, say); anything else is JSON-encoded. */
  body?: unknown;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * An API Gateway HTTP API (payload 2.0) event, as the gateway hands it to a function, so the
 * HTTP handlers can be invoked in-process. `routeKey` is e.g. `POST /v1/track`; the raw path
 * fills in `{name}` parameters from `pathParameters`.
 */
export function httpEvent(routeKey: string, request: HttpRequest = {}): APIGatewayProxyEventV2 {
  const [method = 'GET', pathTemplate = '/'] = routeKey.split(' ');
  const rawPath = pathTemplate.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(request.pathParameters?.[name] ?? ''),
  );
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
  const headers: Record<string, string> = {
    host: 'api.ecoute.test',
    'user-agent': 'ecoute-integration-tests',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(request.writeKey === undefined ? {} : { authorization: basicAuth(request.writeKey) }),
    ...request.headers,
  };
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers,
    ...(request.pathParameters === undefined ? {} : { pathParameters: request.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'api.ecoute.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${now.getTime()}`,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** The `authorization` header for a write key: Basic, the key as username, empty password. */
export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}
