import type { JsonObject } from '../../schemas/common.js';
import type { SegmentCall } from '../../schemas/segment-call.js';
import {
  BatchEnvelope,
  CALL_INPUTS,
  CALL_TYPES,
  type CallInput,
  type CallType,
  jsonBoundsViolation,
  type RejectedCall,
  StoreId,
  TRACKING_LIMITS,
} from '../../schemas/tracking-api.js';
import { type FieldProblem, InvalidInputError } from '../core/errors.js';
import { problemsOf } from '../http/request.js';
import { type BatchDefaults, normaliseCall } from './normalise-call.js';

/** A call refused, with every problem found in it (the first one is the rejection's reason). */
interface Refusal {
  code: 'invalid_request' | 'payload_too_large';
  problems: FieldProblem[];
}

type Outcome = { ok: true; call: SegmentCall } | { ok: false; refusal: Refusal };

export interface AcceptedCalls {
  calls: SegmentCall[];
  rejected: RejectedCall[];
}

interface CallSettings {
  receivedAt: Date;
  newMessageId: () => string;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const joinPath = (segments: readonly (string | number)[]) => segments.map(String).join('.');

const refused = (
  path: readonly (string | number)[],
  message: string,
  code: Refusal['code'] = 'invalid_request',
) => ({
  ok: false as const,
  refusal: { code, problems: [{ code, message, path: joinPath(path) }] },
});

function serialisedBytes(value: unknown): number {
  const json = JSON.stringify(value);
  // Each UTF-16 unit is at most 3 bytes in UTF-8: most calls are settled without counting.
  return json.length * 3 <= TRACKING_LIMITS.maxEventBytes ? json.length : Buffer.byteLength(json);
}

/**
 * One call, validated and normalised, or refused with the paths of its problems. The order
 * matters: JSON bounds first, so that nothing after (size, schema) walks an unbounded value.
 */
function acceptCall(
  item: unknown,
  type: CallType | undefined,
  at: readonly (string | number)[],
  options: CallSettings & { defaults?: BatchDefaults; checkSize: boolean },
): Outcome {
  if (!isObject(item)) return refused(at, 'a call must be a JSON object');
  const callType = type ?? item.type;
  if (callType === undefined) return refused([...at, 'type'], 'type is required in a batch');
  if (!CALL_TYPES.includes(callType as CallType)) {
    return refused([...at, 'type'], `type must be one of ${CALL_TYPES.join(', ')}`);
  }
  const bounds = jsonBoundsViolation(item);
  if (bounds !== undefined) return refused([...at, ...bounds.path], bounds.message);
  if (options.checkSize && serialisedBytes(item) > TRACKING_LIMITS.maxEventBytes) {
    return refused(at, `a call may be at most ${TRACKING_LIMITS.maxEventBytes} bytes`, 'payload_too_large');
  }
  const parsed = CALL_INPUTS[callType as CallType].safeParse(item);
  if (!parsed.success)
    return { ok: false, refusal: { code: 'invalid_request', problems: problemsOf(parsed.error, at) } };
  const input = { ...parsed.data, type: callType } as CallInput;
  const call = normaliseCall(input, options.receivedAt, options.newMessageId, options.defaults);
  return storeZoneProblem(call, at) ?? { ok: true, call };
}

/** A store call's `properties.zone` names an aisle or zone: customer state keeps it, as a string. */
function storeZoneProblem(call: SegmentCall, at: readonly (string | number)[]) {
  if (call.channel !== 'store' || !('properties' in call)) return undefined;
  const zone = call.properties.zone;
  if (zone === undefined || (typeof zone === 'string' && StoreId.safeParse(zone).success)) return undefined;
  return refused([...at, 'properties', 'zone'], 'a store zone is a string of 1 to 256 characters');
}

/**
 * The one call of `/v1/track`, `/v1/identify`…: its type is the endpoint's. Refused whole with
 * 400 (413 over the size limit) and the paths of its problems.
 */
export function acceptSingleCall(
  type: CallType,
  body: unknown,
  bodyBytes: number,
  settings: CallSettings,
): AcceptedCalls {
  if (bodyBytes > TRACKING_LIMITS.maxEventBytes) {
    throw new InvalidInputError(
      'payload_too_large',
      `A call may be at most ${TRACKING_LIMITS.maxEventBytes} bytes.`,
      [],
      413,
    );
  }
  const outcome = acceptCall(body, type, [], { ...settings, checkSize: false });
  if (outcome.ok) return { calls: [outcome.call], rejected: [] };
  const { code, problems } = outcome.refusal;
  throw new InvalidInputError(code, problems[0]?.message ?? 'The call is not valid.', problems);
}

/**
 * `/v1/batch`: every call on its own, so that valid calls are accepted even when others are
 * not; each refused call is listed by index. The envelope (the `batch` array, the shared
 * `context` and `sentAt`) must be valid for anything to be accepted.
 */
export function acceptBatch(body: unknown, bodyBytes: number, settings: CallSettings): AcceptedCalls {
  if (isObject(body) && Array.isArray(body.batch) && body.batch.length > TRACKING_LIMITS.maxBatchEvents) {
    throw new InvalidInputError(
      'too_many_events',
      `A batch may hold at most ${TRACKING_LIMITS.maxBatchEvents} calls.`,
      [{ code: 'too_many_events', message: `${body.batch.length} calls`, path: 'batch' }],
    );
  }
  const contextBounds = isObject(body) ? jsonBoundsViolation(body.context, 1) : undefined;
  if (contextBounds !== undefined) {
    throw new InvalidInputError('invalid_request', contextBounds.message, [
      {
        code: 'invalid_request',
        message: contextBounds.message,
        path: joinPath(['context', ...contextBounds.path]),
      },
    ]);
  }
  const parsed = BatchEnvelope.safeParse(body);
  if (!parsed.success) {
    throw new InvalidInputError(
      'invalid_request',
      'The batch does not match the schema.',
      problemsOf(parsed.error),
    );
  }
  const { batch, context, sentAt } = parsed.data;
  if (batch.length === 0) {
    throw new InvalidInputError('invalid_request', 'The batch is empty.', [
      { code: 'too_small', message: 'a batch holds at least one call', path: 'batch' },
    ]);
  }
  // Under the per-call limit as a whole, no call can be over it: no need to measure each.
  const checkSize = bodyBytes > TRACKING_LIMITS.maxEventBytes;
  const defaults = { context, sentAt };
  const accepted: AcceptedCalls = { calls: [], rejected: [] };
  batch.forEach((item, index) => {
    const outcome = acceptCall(item, undefined, ['batch', index], { ...settings, defaults, checkSize });
    if (outcome.ok) {
      accepted.calls.push(outcome.call);
      return;
    }
    const [first] = outcome.refusal.problems;
    accepted.rejected.push({
      index,
      code: outcome.refusal.code,
      path: first?.path ?? joinPath(['batch', index]),
      message: first?.message ?? 'The call is not valid.',
    });
  });
  return accepted;
}
