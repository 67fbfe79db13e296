import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { HttpRoute } from '../../lambdas/http/routes.js';

/** API Gateway's HTTP API refuses bodies over 10 MB before any function runs. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** A route the local host answers itself (the demo webhook receiver, health). */
export type LocalRoute = (
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
) => boolean | Promise<boolean>;

interface CompiledRoute {
  route: HttpRoute;
  pattern: RegExp;
  parameterNames: string[];
}

function compileRoute(route: HttpRoute): CompiledRoute {
  const parameterNames: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    parameterNames.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), parameterNames };
}

const TEXTUAL = /^(application\/(json|x-www-form-urlencoded)|text\/)/i;

/**
 * Serves Lambda HTTP handlers on localhost the way API Gateway's HTTP API invokes them
 * (payload format 2.0): same event shape, same route keys, path parameters decoded, binary or
 * compressed bodies base64-encoded.
 */
export function startHttpGateway(options: {
  port: number;
  host?: string;
  routes: readonly HttpRoute[];
  handlers: Record<string, LambdaHttpHandler>;
  localRoutes?: LocalRoute[];
}): Promise<Server> {
  const compiled = options.routes.map(compileRoute);
  const server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      if (body === null) {
        return send(response, 413, { code: 'payload_too_large', message: 'Request body too large.' });
      }
      for (const local of options.localRoutes ?? []) {
        if (await local(request, body, response)) return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = findRoute(compiled, request.method ?? 'GET', url.pathname);
      if (match === undefined)
        return send(response, 404, { code: 'route_not_found', message: 'No such route.' });
      const handler = options.handlers[match.route.fn];
      if (handler === undefined) throw new Error(`no handler for ${match.route.fn}`);
      const event = toEvent(request, url, body, match);
      const result = await handler(event, lambdaContext(match.route.fn));
      writeResult(response, result);
    } catch (error) {
      send(response, 500, { code: 'internal_error', message: `local gateway: ${(error as Error).message}` });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function findRoute(routes: CompiledRoute[], method: string, path: string) {
  for (const candidate of routes) {
    if (candidate.route.method !== method) continue;
    const found = candidate.pattern.exec(path);
    if (found === null) continue;
    const pathParameters: Record<string, string> = {};
    candidate.parameterNames.forEach((name, index) => {
      pathParameters[name] = decodeURIComponent(found[index + 1] ?? '');
    });
    return { route: candidate.route, pathParameters };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > GATEWAY_MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  match: { route: HttpRoute; pathParameters: Record<string, string> },
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = TEXTUAL.test(headers['content-type'] ?? 'application/json') && !headers['content-encoding'];
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] =
      queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }
  const now = new Date();
  const routeKey = `${match.route.method} ${match.route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search === '' ? undefined : queryStringParameters,
    pathParameters: Object.keys(match.pathParameters).length === 0 ? undefined : match.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: match.route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.byteLength === 0 ? undefined : body.toString(textual ? 'utf8' : 'base64'),
    isBase64Encoded: body.byteLength > 0 && !textual,
  };
}

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(result);
    return;
  }
  const body =
    result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  for (const cookie of result.cookies ?? []) response.appendHeader('set-cookie', cookie);
  response.end(body);
}

export function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
