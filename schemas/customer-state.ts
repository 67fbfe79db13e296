import * as z from 'zod';
import { IsoDateTime, JsonObject, Slug } from './common.js';
import { ConsentLedger } from './consent.js';
import { Channel } from './segment-call.js';

/** How many recent message ids a customer remembers to drop SDK retries and stream redeliveries. */
export const RECENT_MESSAGE_IDS_KEPT = 100;
/** Anonymous ids (devices, browsers) remembered for a known customer. */
export const ANONYMOUS_IDS_KEPT = 20;
/** Ids merged into a customer, remembered so that a link back to one of them cannot make a cycle. */
export const MERGED_FROM_KEPT = 20;

export const JourneyProgress = z.object({
  entries: z.number().int().min(0),
  lastEnteredAt: IsoDateTime,
});

/** A trait with the time it was last set, so an older identify arriving late never overwrites a newer value. */
export const TraitValue = z.object({ value: z.unknown(), updatedAt: IsoDateTime });

export const Profile = z.object({
  traits: z.record(z.string(), TraitValue),
  /** Accounts (B2B) the customer belongs to, from `group` calls. */
  groups: z.record(z.string(), z.object({ traits: JsonObject, updatedAt: IsoDateTime })),
  /** Devices and browsers joined to this customer by identify or alias, newest last. */
  anonymousIds: z.array(z.string()).max(ANONYMOUS_IDS_KEPT),
});
export type Profile = z.infer<typeof Profile>;

export const StoreVisit = z.object({
  storeId: z.string().min(1).max(256),
  zone: z.string().min(1).max(256).optional(),
  at: IsoDateTime,
});

/** Where a customer is in one journey: a live instance. */
export const JourneyInstance = z.object({
  journeyId: Slug,
  /** The version it entered with: publishing a new version changes only new entries. */
  version: z.number().int().min(1),
  stepId: z.string(),
  enteredAt: IsoDateTime,
  /** Waiting for a timer (a wait step, or a waitForEvent's timeout). */
  waiting: z.object({ timerId: z.string(), dueAt: IsoDateTime }).optional(),
  variant: z.string().optional(),
  /** In the control group: goes through the journey but is sent nothing. */
  holdout: z.boolean().optional(),
  /** Until when the goal event counts as this instance's conversion. */
  goalUntil: IsoDateTime.optional(),
  goalReachedAt: IsoDateTime.optional(),
});
export type JourneyInstance = z.infer<typeof JourneyInstance>;

/** An instance that ended but whose goal window is still open: conversions are still attributed. */
export const AttributionWindow = z.object({
  instanceId: z.string(),
  journeyId: Slug,
  version: z.number().int().min(1),
  goalUntil: IsoDateTime,
  variant: z.string().optional(),
  holdout: z.boolean().optional(),
});

/** Event counts in time buckets, `[bucket index, count]`, oldest first (see lambdas/core/counters.ts). */
export const CounterBuckets = z.array(z.tuple([z.number().int(), z.number().int().min(0)]));

/** An event kept briefly so that a waitForEvent reached just after it still sees it. */
export const RecentEvent = z.object({
  event: z.string(),
  at: IsoDateTime,
  properties: JsonObject,
  messageId: z.string().optional(),
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
  profile: Profile.optional(),
  /** When the customer was last active on each channel: where they are now. */
  channels: z.partialRecord(Channel, z.object({ lastSeenAt: IsoDateTime })).optional(),
  /** The last store the customer was seen in, with the zone (aisle) when known. */
  lastStoreVisit: StoreVisit.optional(),
  /**
   * Set once this (anonymous or former) id was joined to a known customer: its profile, counters
   * and journey progress went there, and whatever arrives for it is forwarded there.
   */
  mergedInto: z.string().min(1).optional(),
  mergedFrom: z.array(z.string()).max(MERGED_FROM_KEPT).optional(),
  /** Live journey instances by instance id. */
  instances: z.record(z.string(), JourneyInstance).optional(),
  attribution: z.array(AttributionWindow).max(50).optional(),
  /** Behavioural counters by counter id, only for what published journeys ask about. */
  counters: z.record(z.string(), CounterBuckets).optional(),
  recentEvents: z.array(RecentEvent).max(50).optional(),
  /** The customer's current consents (history: `CONSENT#` items); absent until they say something. */
  consent: ConsentLedger.optional(),
  /** Calls dropped at arrival for want of analytics or personalization consent: a count, nothing else. */
  droppedWithoutConsent: z.number().int().min(0).optional(),
});
export type CustomerState = z.infer<typeof CustomerState>;

/** What a joined id hands over to the customer it now belongs to. */
export const MergedHistory = CustomerState.pick({
  eventCount: true,
  firstSeenAt: true,
  lastSeenAt: true,
  journeys: true,
  profile: true,
  channels: true,
  lastStoreVisit: true,
  consent: true,
});
export type MergedHistory = z.infer<typeof MergedHistory>;
