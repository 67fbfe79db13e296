import * as z from 'zod';
import { IsoDateTime, JsonObject } from './common.js';
import { Channel, Identifier, MessageId, UserIdentifier } from './segment-call.js';

/**
 * The tracking API's input: Segment's HTTP Tracking API calls as a business sends them, before
 * ingest normalises them into `SegmentCall`s (schemas/segment-call.ts). Field names and
 * optionality follow Segment's spec; `null` counts as absent, as other Segment libraries (Python,
 * Go, Java) send it for fields they were not given.
 */

/** Bounds of what the API accepts; over them a request or an event is refused with a clear code. */
export const TRACKING_LIMITS = {
  /** A request body, after decompression (Segment's batch limit). */
  maxBodyBytes: 500 * 1024,
  /** One call, serialised (Segment's per-call limit). */
  maxEventBytes: 32 * 1024,
  /** Calls in one `/v1/batch` request (Segment's limit). */
  maxBatchEvents: 2_500,
  /**
   * Levels of objects and arrays inside one field of a call, counting the field's own object
   * (`properties`, `traits`, `context`…) as the first: `properties.a.b…` may hold objects down to
   * the eighth level. Deeper data is almost always a bug (a serialised object graph) and costs
   * every reader.
   */
  maxNestingDepth: 8,
  /** Keys in any one object of a call. */
  maxKeysPerObject: 500,
} as const;

export const CALL_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export const CallType = z.enum(CALL_TYPES);
export type CallType = z.infer<typeof CallType>;

/**
 * An optional field that may also be sent as `null`; normalisation reads both as absent. (No
 * zod transform here: one per field would cost more than the rest of the parse.)
 */
const absentOr = <S extends z.ZodType>(schema: S) => schema.nullish();

/** A JSON object field: anything else (a string, an array, a number) is refused. */
const ObjectField = absentOr(JsonObject);

/** A store's id (and a zone's, `properties.zone`): what customer state keeps of a store visit. */
export const StoreId = z.string().min(1).max(256);

/** Store context, checked so that what reaches customer state is always well typed. */
const StoreContext = z
  .object({
    channel: Channel.optional(),
    location: z.object({ storeId: StoreId.optional() }).loose().optional(),
  })
  .loose();

/** `context`: free-form, except the few fields Écoute reads (`channel`, `location.storeId`). */
const CallContext = absentOr(StoreContext);

const CommonFields = {
  messageId: absentOr(MessageId),
  userId: absentOr(UserIdentifier),
  anonymousId: absentOr(Identifier),
  /** When it happened, by the sender's clock. */
  timestamp: absentOr(IsoDateTime),
  originalTimestamp: absentOr(IsoDateTime),
  /** When the sender sent it, by the same clock: what clock-skew correction needs. */
  sentAt: absentOr(IsoDateTime),
  context: CallContext,
  integrations: ObjectField,
};

const needsAnId = { message: 'either userId or anonymousId is required', path: ['userId'] };
const hasAnId = (call: { userId?: string | null | undefined; anonymousId?: string | null | undefined }) =>
  call.userId != null || call.anonymousId != null;

/** Names are what journeys and reports show; 200 characters is plenty. */
const Name = z.string().min(1).max(200);

const Properties = ObjectField;

export const TrackInput = z
  .object({ type: z.literal('track').optional(), ...CommonFields, event: Name, properties: Properties })
  .refine(hasAnId, needsAnId);

export const PageInput = z
  .object({
    type: z.literal('page').optional(),
    ...CommonFields,
    name: absentOr(Name),
    category: absentOr(Name),
    properties: Properties,
  })
  .refine(hasAnId, needsAnId);

export const ScreenInput = z
  .object({
    type: z.literal('screen').optional(),
    ...CommonFields,
    name: absentOr(Name),
    category: absentOr(Name),
    properties: Properties,
  })
  .refine(hasAnId, needsAnId);

export const IdentifyInput = z
  .object({ type: z.literal('identify').optional(), ...CommonFields, traits: ObjectField })
  .refine(hasAnId, needsAnId);

export const GroupInput = z
  .object({ type: z.literal('group').optional(), ...CommonFields, groupId: Identifier, traits: ObjectField })
  .refine(hasAnId, needsAnId);

/** `alias` joins `previousId` (an anonymous id or a former user id) to `userId`. */
export const AliasInput = z.object({
  type: z.literal('alias').optional(),
  ...CommonFields,
  userId: UserIdentifier,
  previousId: Identifier,
});

/** The schema of each call type; in `/v1/batch` the item's `type` picks it. */
export const CALL_INPUTS = {
  track: TrackInput,
  page: PageInput,
  screen: ScreenInput,
  identify: IdentifyInput,
  group: GroupInput,
  alias: AliasInput,
} as const;

export type TrackInput = z.infer<typeof TrackInput>;
export type PageInput = z.infer<typeof PageInput>;
export type ScreenInput = z.infer<typeof ScreenInput>;
export type IdentifyInput = z.infer<typeof IdentifyInput>;
export type GroupInput = z.infer<typeof GroupInput>;
export type AliasInput = z.infer<typeof AliasInput>;

/** A valid call of any type, its type made explicit. */
export type CallInput =
  | (TrackInput & { type: 'track' })
  | (PageInput & { type: 'page' })
  | (ScreenInput & { type: 'screen' })
  | (IdentifyInput & { type: 'identify' })
  | (GroupInput & { type: 'group' })
  | (AliasInput & { type: 'alias' });

/**
 * `POST /v1/batch` around its calls: what applies to all of them. The calls themselves are
 * validated one by one (see the ingest function), so that one bad call does not sink the others.
 * Senders add fields of their own (RudderStack a batch `timestamp`); they are ignored.
 */
export const BatchEnvelope = z.object({
  batch: z.array(z.unknown()),
  /** Fills in for calls without a context of their own, as in Segment. */
  context: CallContext,
  /** Sending time of the whole batch: applies to calls without a `sentAt` of their own. */
  sentAt: absentOr(IsoDateTime),
  writeKey: z.unknown().optional(),
});
export type BatchEnvelope = z.infer<typeof BatchEnvelope>;

/** One call of a batch that was refused, and why; nothing of it was written. */
export const RejectedCall = z.object({
  index: z.number().int().min(0),
  code: z.string(),
  /** Dotted path of the offending field, from the request's root: `batch.3.userId`. */
  path: z.string(),
  message: z.string(),
});
export type RejectedCall = z.infer<typeof RejectedCall>;

/**
 * `200`: every accepted call is durably in the stream. For `/v1/batch`, `rejected` lists the
 * calls that were not accepted (an empty list when all were).
 */
export const TrackingResponse = z.object({
  success: z.literal(true),
  accepted: z.number().int().min(0),
  rejected: z.array(RejectedCall).optional(),
});
export type TrackingResponse = z.infer<typeof TrackingResponse>;

/** Where a bounded JSON value breaks the bounds, and how. */
export interface JsonBoundsViolation {
  /** Path segments below the value that was checked. */
  path: (string | number)[];
  message: string;
}

/**
 * Checks nesting depth and keys per object of a call's JSON (before its schema, so that no
 * later step — serialisation included — ever walks an unbounded structure). `depth` is the level
 * of `value` itself: 0 for a whole call, whose fields are then at level 1.
 */
export function jsonBoundsViolation(
  value: unknown,
  depth = 0,
  limits: { maxNestingDepth: number; maxKeysPerObject: number } = TRACKING_LIMITS,
): JsonBoundsViolation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > limits.maxNestingDepth) {
    return { path: [], message: `objects and arrays nest at most ${limits.maxNestingDepth} levels deep` };
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = jsonBoundsViolation(value[index], depth + 1, limits);
      if (found !== undefined) return { ...found, path: [index, ...found.path] };
    }
    return undefined;
  }
  let keys = 0;
  for (const key in value) {
    keys += 1;
    if (keys > limits.maxKeysPerObject) {
      return { path: [], message: `an object may have at most ${limits.maxKeysPerObject} keys` };
    }
    const found = jsonBoundsViolation((value as Record<string, unknown>)[key], depth + 1, limits);
    if (found !== undefined) return { ...found, path: [key, ...found.path] };
  }
  return undefined;
}
