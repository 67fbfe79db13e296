import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../adapters/logger.js';
import {
  ApiKeyUnauthorizedError,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  RetryableError,
  UnauthorizedError,
} from '../core/errors.js';
import { PrivacyTokenError } from '../core/privacy/privacy-token.js';
import { RateLimitedError } from './rate-limited-error.js';
import { errorResponse, type HttpResult } from './responses.js';

/**
 * The one place where the error taxonomy becomes HTTP: every failure leaves as
 * `{ code, message, path?, errors? }` with its status. Unknown errors are logged and answered
 * 500 without their message, which could hold internal details.
 */
export function errorsAsHttp(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: async (request) => {
      request.response = toResponse(request.error);
    },
  };
}

function toResponse(error: unknown): HttpResult {
  if (error instanceof InvalidInputError) {
    const [first] = error.problems;
    return errorResponse(error.statusCode, {
      code: error.code,
      message: error.message,
      ...(first?.path === undefined ? {} : { path: first.path }),
      ...(error.problems.length > 0 ? { errors: error.problems } : {}),
    });
  }
  if (error instanceof UnauthorizedError) {
    return errorResponse(
      401,
      { code: error.code, message: error.message },
      // Tracking takes a write key (Basic), the config API an API key (Bearer).
      {
        'www-authenticate': `${error instanceof ApiKeyUnauthorizedError ? 'Bearer' : 'Basic'} realm="ecoute"`,
      },
    );
  }
  if (error instanceof PrivacyTokenError) {
    return errorResponse(
      401,
      { code: error.code, message: error.message },
      { 'www-authenticate': 'Bearer realm="ecoute-privacy"' },
    );
  }
  if (error instanceof ForbiddenError)
    return errorResponse(403, { code: error.code, message: error.message });
  if (error instanceof ConflictError) return errorResponse(409, { code: error.code, message: error.message });
  if (error instanceof PreconditionFailedError)
    return errorResponse(412, { code: error.code, message: error.message });
  if (error instanceof PreconditionRequiredError)
    return errorResponse(428, { code: error.code, message: error.message });
  if (error instanceof RateLimitedError) {
    return errorResponse(
      429,
      { code: error.code, message: error.message },
      { 'retry-after': String(error.retryAfterSeconds) },
    );
  }
  if (error instanceof NotFoundError) return errorResponse(404, { code: error.code, message: error.message });
  if (error instanceof RetryableError) {
    logger.warn('temporarily unavailable', { error });
    return errorResponse(503, { code: error.code, message: 'Try again shortly.' }, { 'retry-after': '1' });
  }
  logger.error('unexpected error', { error: error as Error });
  return errorResponse(500, { code: 'internal_error', message: 'Something went wrong on our side.' });
}

/** Wraps an API Gateway (HTTP API, payload 2.0) handler in the shared middy pipeline. */
export function httpHandler(
  handle: (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>,
) {
  return middy<APIGatewayProxyEventV2, HttpResult>(handle).use(errorsAsHttp());
}
