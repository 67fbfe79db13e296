import * as z from 'zod';
import { CustomerState, JourneyProgress, Profile, StoreVisit } from './customer-state.js';

/**
 * `GET /v1/customers/{customerId}`: what Écoute knows about one customer. A joined id (an
 * anonymous visitor who logged in) answers with `mergedInto`, the customer to ask instead.
 */
export const CustomerProfileResponse = z.object({
  customerId: z.string(),
  mergedInto: z.string().optional(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  eventCount: z.number().int(),
  traits: Profile.shape.traits,
  groups: Profile.shape.groups,
  anonymousIds: Profile.shape.anonymousIds,
  channels: CustomerState.shape.channels.unwrap(),
  lastStoreVisit: StoreVisit.optional(),
  journeys: z.record(z.string(), JourneyProgress),
});
export type CustomerProfileResponse = z.infer<typeof CustomerProfileResponse>;

export function profileResponseOf(state: CustomerState): CustomerProfileResponse {
  return {
    customerId: state.customerId,
    ...(state.mergedInto === undefined ? {} : { mergedInto: state.mergedInto }),
    firstSeenAt: state.firstSeenAt,
    lastSeenAt: state.lastSeenAt,
    eventCount: state.eventCount,
    traits: state.profile?.traits ?? {},
    groups: state.profile?.groups ?? {},
    anonymousIds: state.profile?.anonymousIds ?? [],
    channels: state.channels ?? {},
    ...(state.lastStoreVisit === undefined ? {} : { lastStoreVisit: state.lastStoreVisit }),
    journeys: state.journeys,
  };
}
