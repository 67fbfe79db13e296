import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';

/** How many recent message ids a customer remembers to drop SDK retries and stream redeliveries. */
export const RECENT_MESSAGE_IDS_KEPT = 100;

export const JourneyProgress = z.object({
  entries: z.number().int().min(0),
  lastEnteredAt: IsoDateTime,
});

/**
 * Everything Écoute keeps about one customer of one tenant, written back once per batch
 * under an optimistic `version`.
 */
export const CustomerState = z.object({
  tenantId: Slug,
  customerId: z.string().min(1),
  version: z.number().int().min(0),
  /**
   * Highest Kinesis sequence number applied. Sequence numbers grow within a shard and a
   * customer's records stay in order across reshards, so anything at or below it is a redelivery.
   */
  appliedSequence: z.string().regex(/^\d+$/).optional(),
  /** Newest last; bounded to RECENT_MESSAGE_IDS_KEPT. */
  recentMessageIds: z.array(z.string()).max(RECENT_MESSAGE_IDS_KEPT),
  eventCount: z.number().int().min(0),
  firstSeenAt: IsoDateTime,
  lastSeenAt: IsoDateTime,
  journeys: z.record(z.string(), JourneyProgress),
});
export type CustomerState = z.infer<typeof CustomerState>;
