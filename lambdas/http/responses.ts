import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { ApiError } from '../../schemas/api-error.js';

export type HttpResult = Exclude<APIGatewayProxyResultV2, string>;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  statusCode: number,
  error: ApiError,
  headers: Record<string, string> = {},
): HttpResult {
  return jsonResponse(statusCode, error, headers);
}
