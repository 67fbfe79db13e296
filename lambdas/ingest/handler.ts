import { randomUUID } from 'node:crypto';
import { TrackBatch, TrackEvent, type TrackResponse } from '../../schemas/track-event.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import { httpHandler } from '../http/http-handler.js';
import { authenticateWriteKey, parseWith, readJsonBody } from '../http/request.js';
import { jsonResponse } from '../http/responses.js';
import { MAX_BODY_BYTES } from '../http/routes.js';
import { toStreamRecords } from './to-stream-records.js';

function parseBatch(body: unknown) {
  const batch = parseWith(TrackBatch, body);
  return { calls: batch.batch, context: batch.context };
}

function parseSingle(body: unknown) {
  return { calls: [parseWith(TrackEvent, body)], context: undefined };
}

/**
 * Ingest: `POST /v1/track` and `POST /v1/batch`. Answers 200 only once Kinesis holds every
 * event; anything invalid is refused whole, before anything is written.
 */
export const handler = httpHandler(async (event) => {
  const tenantId = await authenticateWriteKey(event);
  const body = readJsonBody(event, MAX_BODY_BYTES);
  const { calls, context } = event.routeKey.endsWith('/v1/batch') ? parseBatch(body) : parseSingle(body);
  const records = toStreamRecords(tenantId, calls, new Date(), randomUUID, context);
  await putRecordsDurably(records);
  const response: TrackResponse = { success: true, accepted: records.length };
  return jsonResponse(200, response);
});
