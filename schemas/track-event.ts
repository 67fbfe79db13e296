import * as z from 'zod';
import { IsoDateTime, JsonObject } from './common.js';
import { Identifier as CustomerIdentifier, MessageId, UserIdentifier } from './segment-call.js';

/**
 * A Segment-compatible `track` call: what a business sends when a customer does something.
 * At least one of `userId` and `anonymousId` identifies the customer.
 */
export const TrackEvent = z
  .object({
    type: z.literal('track').optional(),
    userId: UserIdentifier.optional(),
    anonymousId: CustomerIdentifier.optional(),
    event: z.string().min(1).max(200),
    properties: JsonObject.default({}),
    context: JsonObject.optional(),
    timestamp: IsoDateTime.optional(),
    messageId: MessageId.optional(),
  })
  .refine((event) => event.userId !== undefined || event.anonymousId !== undefined, {
    message: 'either userId or anonymousId is required',
    path: ['userId'],
  });
export type TrackEvent = z.infer<typeof TrackEvent>;

/** `POST /v1/batch`: several calls at once (track only, for now). */
export const TrackBatch = z.object({
  batch: z.array(TrackEvent).min(1).max(2_500),
  context: JsonObject.optional(),
});
export type TrackBatch = z.infer<typeof TrackBatch>;

export const TrackResponse = z.object({
  success: z.literal(true),
  accepted: z.number().int().min(0),
});
export type TrackResponse = z.infer<typeof TrackResponse>;
