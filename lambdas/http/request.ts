import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { ApiKeyScope } from '../../schemas/api-key.js';
import { type AuthenticatedKey, findApiKey, touchApiKey } from '../adapters/api-key-store.js';
import { findTenantIdByWriteKey } from '../adapters/config-store.js';
import {
  ApiKeyUnauthorizedError,
  type FieldProblem,
  ForbiddenError,
  InvalidInputError,
  UnauthorizedError,
} from '../core/errors.js';

const header = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  event.headers?.[name] ?? event.headers?.[name.toLowerCase()];

const tooLarge = (maxBytes: number) =>
  new InvalidInputError('payload_too_large', `The body is larger than ${maxBytes} bytes.`, [], 413);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Inflates a gzip body, never beyond `maxBytes`: a small body that inflates to gigabytes (a
 * decompression bomb) is stopped at the limit, not after.
 */
function gunzipBounded(compressed: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge(maxBytes);
    throw new InvalidInputError('invalid_gzip', 'The body is not valid gzip data.');
  }
}

/**
 * The request body as text: base64 undone (API Gateway and the local host hand over compressed
 * and binary bodies base64-encoded), gzip inflated (`content-encoding: gzip`, as Segment's and
 * RudderStack's libraries send), UTF-8 checked strictly. Refuses a body over `maxBytes`,
 * compressed or not (413), an empty one (400 `empty_body`), an encoding other than gzip (415)
 * and bytes that are not UTF-8 (400 `invalid_utf8`).
 */
export function readBodyText(event: APIGatewayProxyEventV2, maxBytes: number): string {
  const encoding = (header(event, 'Content-Encoding') ?? '').trim().toLowerCase();
  const body = event.body ?? '';
  let text: string;
  if (!event.isBase64Encoded && (encoding === '' || encoding === 'identity')) {
    // Already text: the gateway decoded it. Most requests take this path, without a copy.
    if (body.length > maxBytes || Buffer.byteLength(body) > maxBytes) throw tooLarge(maxBytes);
    text = body;
  } else {
    let bytes: Buffer = Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    if (encoding === 'gzip' || encoding === 'x-gzip') bytes = gunzipBounded(bytes, maxBytes);
    else if (encoding !== '' && encoding !== 'identity') {
      throw new InvalidInputError(
        'unsupported_encoding',
        `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send gzip or nothing.`,
        [],
        415,
      );
    }
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw new InvalidInputError('invalid_utf8', 'The body is not valid UTF-8.');
    }
  }
  if (text.length === 0) throw new InvalidInputError('empty_body', 'The request has no body.');
  return text;
}

/** Parses a JSON body, answering 400 `malformed_json` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('malformed_json', 'The body is not valid JSON.');
  }
}

/** Reads a JSON body, refusing oversized (413), badly encoded and malformed (400) ones. */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  return parseJson(readBodyText(event, maxBytes));
}

/** Every zod issue, with the dotted path of its field below `pathPrefix`. */
export function problemsOf(error: z.ZodError, pathPrefix: readonly (string | number)[] = []): FieldProblem[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    message: issue.message,
    path: [...pathPrefix, ...issue.path].map(String).join('.'),
  }));
}

/** Validates with a zod schema; every issue is reported with the dotted path of its field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  pathPrefix: (string | number)[] = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    'invalid_request',
    'The request does not match the schema.',
    problemsOf(result.error, pathPrefix),
  );
}

/** The write key of an `authorization: Basic …` header, if the request has one. */
function writeKeyOfHeader(event: APIGatewayProxyEventV2): string | undefined {
  const value = header(event, 'Authorization');
  if (value === undefined) return undefined;
  // An API key with the `ingest` scope may also be sent the way the config API takes keys.
  const bearer = value.match(/^Bearer\s+(\S{1,200})\s*$/i);
  if (bearer?.[1] !== undefined) return bearer[1];
  const match = value.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (match?.[1] === undefined) throw new UnauthorizedError('The authorization header is not HTTP Basic.');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
}

/**
 * Segment's convention: the write key is the HTTP Basic username, with an empty password; the
 * tracking API also takes it as `writeKey` in the body, as Segment does, when there is no
 * header. Returns the tenant it belongs to; an unknown or revoked key is refused (401). An API
 * key stands in for the write key when it has `apiKeyScope` (403 when it lacks it).
 */
export async function authenticateWriteKey(
  event: APIGatewayProxyEventV2,
  writeKeyInBody?: unknown,
  apiKeyScope: ApiKeyScope = 'ingest',
): Promise<string> {
  const writeKey =
    writeKeyOfHeader(event) ?? (typeof writeKeyInBody === 'string' ? writeKeyInBody : undefined);
  if (writeKey === undefined)
    throw new UnauthorizedError('A write key is required (HTTP Basic username, or writeKey in the body).');
  if (writeKey.length === 0 || writeKey.length > 200)
    throw new UnauthorizedError('The write key is not valid.');
  const tenantId = (await findTenantIdByWriteKey(writeKey)) ?? (await tenantOfApiKey(writeKey, apiKeyScope));
  if (tenantId === null) throw new UnauthorizedError('The write key is not valid.');
  return tenantId;
}

/** An API key works as a write key when it has the route's scope (or `admin`). */
async function tenantOfApiKey(key: string, scope: ApiKeyScope): Promise<string | null> {
  const found = await findApiKey(key);
  if (found === null) return null;
  if (!found.scopes.includes(scope) && !found.scopes.includes('admin')) {
    throw new ForbiddenError(`This API key lacks the "${scope}" scope.`);
  }
  return found.tenantId;
}

/**
 * The API key of an `Authorization: Bearer <key>` header, checked for `requiredScope` (`admin`
 * has every scope). Unknown or revoked: 401. Known but lacking the scope: 403 — which only ever
 * concerns the key's own tenant, since every resource is looked up under that tenant.
 */
export async function authenticateApiKey(
  event: APIGatewayProxyEventV2,
  requiredScope: ApiKeyScope,
  now: Date,
): Promise<AuthenticatedKey> {
  const value = header(event, 'Authorization');
  if (value === undefined)
    throw new ApiKeyUnauthorizedError('An API key is required: Authorization: Bearer <key>.');
  const match = value.match(/^Bearer\s+(\S{1,200})\s*$/i);
  if (match?.[1] === undefined)
    throw new ApiKeyUnauthorizedError('The authorization header is not "Bearer <API key>".');
  const key = await findApiKey(match[1]);
  if (key === null) throw new ApiKeyUnauthorizedError('The API key is not valid.');
  if (!key.scopes.includes('admin') && !key.scopes.includes(requiredScope))
    throw new ForbiddenError(`This API key lacks the "${requiredScope}" scope.`);
  await touchApiKey(key.tenantId, key.keyId, now);
  return key;
}
