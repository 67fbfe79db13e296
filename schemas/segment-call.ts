import * as z from 'zod';
import { IsoDateTime, JsonObject } from './common.js';

/**
 * Segment-compatible calls as they travel in the stream, after ingest has validated and
 * normalised them: `messageId`, `timestamp` (clock-skew corrected), `receivedAt` and `channel`
 * are always set. The shapes follow the Segment HTTP Tracking API spec; the API's input
 * schemas (where these fields are optional) live with the ingest API.
 */

/** Segment's ids may be any string up to 256 characters. */
export const Identifier = z.string().min(1).max(256);

/**
 * Customer keys of anonymous visitors are `anon:<anonymousId>` (see `customerIdOf`), so a user id
 * may not start with that prefix: two customers could otherwise share one state.
 */
export const ANONYMOUS_PREFIX = 'anon:';
export const UserIdentifier = Identifier.refine((id) => !id.startsWith(ANONYMOUS_PREFIX), {
  message: `a userId may not start with "${ANONYMOUS_PREFIX}", which names anonymous visitors`,
});

export const MessageId = z.string().min(1).max(100);

/** Where the customer was when it happened: the bridges between store and screen start here. */
export const Channel = z.enum(['web', 'mobile', 'store', 'call_center', 'social', 'server']);
export type Channel = z.infer<typeof Channel>;

const CommonFields = {
  messageId: MessageId,
  userId: UserIdentifier.optional(),
  anonymousId: Identifier.optional(),
  /** When it happened, corrected for the sender's clock skew when `sentAt` was given. */
  timestamp: IsoDateTime,
  originalTimestamp: IsoDateTime.optional(),
  sentAt: IsoDateTime.optional(),
  /** Stamped by Écoute's ingest. */
  receivedAt: IsoDateTime,
  channel: Channel,
  context: JsonObject,
  integrations: JsonObject.optional(),
};

export const TrackCall = z.object({
  type: z.literal('track'),
  ...CommonFields,
  event: z.string().min(1).max(200),
  properties: JsonObject,
});
export const PageCall = z.object({
  type: z.literal('page'),
  ...CommonFields,
  name: z.string().max(200).optional(),
  category: z.string().max(200).optional(),
  properties: JsonObject,
});
export const ScreenCall = z.object({
  type: z.literal('screen'),
  ...CommonFields,
  name: z.string().max(200).optional(),
  category: z.string().max(200).optional(),
  properties: JsonObject,
});
export const IdentifyCall = z.object({ type: z.literal('identify'), ...CommonFields, traits: JsonObject });
export const GroupCall = z.object({
  type: z.literal('group'),
  ...CommonFields,
  groupId: Identifier,
  traits: JsonObject,
});
export const AliasCall = z.object({
  type: z.literal('alias'),
  ...CommonFields,
  userId: UserIdentifier,
  previousId: Identifier,
});

export const SegmentCall = z.discriminatedUnion('type', [
  TrackCall,
  PageCall,
  ScreenCall,
  IdentifyCall,
  GroupCall,
  AliasCall,
]);
export type SegmentCall = z.infer<typeof SegmentCall>;
export type TrackCall = z.infer<typeof TrackCall>;
export type IdentifyCall = z.infer<typeof IdentifyCall>;

/**
 * The name journeys see for a call: a track call's `event`; page and screen calls become
 * `Page Viewed` / `Screen Viewed` (their `name` stays in `properties.name`).
 */
export function eventNameOf(call: SegmentCall): string | undefined {
  switch (call.type) {
    case 'track':
      return call.event;
    case 'page':
      return 'Page Viewed';
    case 'screen':
      return 'Screen Viewed';
    default:
      return undefined;
  }
}
