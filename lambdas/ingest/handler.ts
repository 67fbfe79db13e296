import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiError } from '../../schemas/api-error.js';
import type { StreamRecord } from '../../schemas/stream-record.js';
import { TRACKING_LIMITS, type TrackingResponse } from '../../schemas/tracking-api.js';
import { consumeEventQuota, type QuotaDecision } from '../adapters/event-quota.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import { logger } from '../adapters/logger.js';
import { httpHandler } from '../http/http-handler.js';
import { RateLimitedError } from '../http/rate-limited-error.js';
import { authenticateWriteKey, parseJson, readBodyText } from '../http/request.js';
import { jsonResponse } from '../http/responses.js';
import { TRACKING_ENDPOINTS, type TrackingEndpoint } from '../http/routes.js';
import { type AcceptedCalls, acceptBatch, acceptSingleCall } from './accept-calls.js';
import { toStreamRecords } from './to-stream-records.js';

/**
 * What the ingest function talks to. The defaults are the real adapters; the benchmark passes
 * a `putRecords` that only serialises and counts bytes (and a quota that always allows), to
 * measure the function's own CPU without the network. Nothing else replaces them.
 */
export interface IngestDependencies {
  putRecords: (records: readonly StreamRecord[]) => Promise<void>;
  consumeEventQuota: (tenantId: string, events: number, now: Date) => Promise<QuotaDecision>;
  now: () => Date;
  newMessageId: () => string;
}

const REAL_DEPENDENCIES: IngestDependencies = {
  putRecords: putRecordsDurably,
  consumeEventQuota,
  now: () => new Date(),
  newMessageId: randomUUID,
};

function endpointOf(event: APIGatewayProxyEventV2): TrackingEndpoint {
  const path = event.routeKey.slice(event.routeKey.indexOf(' ') + 1);
  const endpoint = TRACKING_ENDPOINTS[path as keyof typeof TRACKING_ENDPOINTS];
  if (endpoint === undefined) throw new Error(`the ingest function does not serve ${event.routeKey}`);
  return endpoint;
}

/**
 * A browser's Global Privacy Control header (`Sec-GPC: 1`) travels with each call as
 * `context.gpc`, where the processor honours it as an objection to marketing and sharing.
 */
function withGpcSignal(event: APIGatewayProxyEventV2, calls: AcceptedCalls['calls']): AcceptedCalls['calls'] {
  const headers = event.headers ?? {};
  if ((headers['sec-gpc'] ?? headers['Sec-GPC'])?.trim() !== '1') return calls;
  return calls.map((call) => ({ ...call, context: { ...call.context, gpc: true } }));
}

const writeKeyInBody = (body: unknown): unknown =>
  typeof body === 'object' && body !== null ? (body as { writeKey?: unknown }).writeKey : undefined;

/** 400 for a batch of which no call was accepted: the same per-call list as a partial success. */
function nothingAccepted(rejected: AcceptedCalls['rejected']) {
  const [first] = rejected;
  const body: ApiError = {
    code: 'invalid_request',
    message: 'No call of the batch was accepted.',
    ...(first === undefined ? {} : { path: first.path }),
    errors: rejected.map(({ code, message, path }) => ({ code, message, path })),
    rejected,
  };
  return jsonResponse(400, body);
}

/**
 * Builds the ingest function: the Segment-compatible tracking API (`POST /v1/track`,
 * `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`, `/v1/batch`). Answers 200
 * only once Kinesis holds every accepted call; what is refused is never written.
 */
export function createIngestHandler(dependencies: IngestDependencies = REAL_DEPENDENCIES) {
  return httpHandler(async (event) => {
    const receivedAt = dependencies.now();
    const endpoint = endpointOf(event);
    const text = readBodyText(event, TRACKING_LIMITS.maxBodyBytes);
    const body = parseJson(text);
    const tenantId = await authenticateWriteKey(event, writeKeyInBody(body));

    const bodyBytes = Buffer.byteLength(text);
    const settings = { receivedAt, newMessageId: dependencies.newMessageId };
    const { calls, rejected } =
      endpoint === 'batch'
        ? acceptBatch(body, bodyBytes, settings)
        : acceptSingleCall(endpoint, body, bodyBytes, settings);
    if (rejected.length > 0) {
      // Counts and codes only: paths and messages may carry a customer's property names.
      logger.info('calls refused', {
        tenantId,
        accepted: calls.length,
        refused: rejected.length,
        codes: [...new Set(rejected.map(({ code }) => code))],
      });
    }
    if (calls.length === 0) return nothingAccepted(rejected);

    const quota = await dependencies.consumeEventQuota(tenantId, calls.length, receivedAt);
    if (!quota.allowed) {
      throw new RateLimitedError(
        'Too many events for this tenant: slow down and retry.',
        quota.retryAfterSeconds,
      );
    }
    await dependencies.putRecords(toStreamRecords(tenantId, withGpcSignal(event, calls)));
    const response: TrackingResponse = {
      success: true,
      accepted: calls.length,
      ...(endpoint === 'batch' ? { rejected } : {}),
    };
    return jsonResponse(200, response);
  });
}

export const handler = createIngestHandler();
