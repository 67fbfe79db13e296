import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { findTenantIdByWriteKey } from '../adapters/config-store.js';
import { type FieldProblem, InvalidInputError, UnauthorizedError } from '../core/errors.js';

/** Reads a JSON body, refusing oversized (413) and malformed (400) ones before anything else. */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.byteLength > maxBytes) {
    throw new InvalidInputError('payload_too_large', `The body is larger than ${maxBytes} bytes.`, [], 413);
  }
  if (raw.byteLength === 0) throw new InvalidInputError('empty_body', 'The request has no body.');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidInputError('malformed_json', 'The body is not valid JSON.');
  }
}

/** Validates with a zod schema; every issue is reported with the dotted path of its field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  pathPrefix: (string | number)[] = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.map((issue) => ({
    code: issue.code,
    message: issue.message,
    path: [...pathPrefix, ...issue.path].map(String).join('.'),
  }));
  throw new InvalidInputError('invalid_request', 'The request does not match the schema.', problems);
}

/**
 * Segment's convention: the write key is the HTTP Basic username, with an empty password.
 * Returns the tenant it belongs to.
 */
export async function authenticateWriteKey(event: APIGatewayProxyEventV2): Promise<string> {
  const header = event.headers.authorization ?? event.headers.Authorization;
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (match?.[1] === undefined) throw new UnauthorizedError('A write key is required (HTTP Basic username).');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const writeKey = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  if (writeKey.length === 0 || writeKey.length > 200)
    throw new UnauthorizedError('The write key is not valid.');
  const tenantId = await findTenantIdByWriteKey(writeKey);
  if (tenantId === null) throw new UnauthorizedError('The write key is not valid.');
  return tenantId;
}
