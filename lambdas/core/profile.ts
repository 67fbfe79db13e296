import type { JsonObject } from '../../schemas/common.js';
import { ANONYMOUS_IDS_KEPT, type CustomerState, type Profile } from '../../schemas/customer-state.js';
import { Channel, type SegmentCall } from '../../schemas/segment-call.js';
import { parseIso } from './iso-time.js';

/** What a customer's profile, channels and store presence become after one call. Pure. */

export const emptyProfile = (): Profile => ({ traits: {}, groups: {}, anonymousIds: [] });

const isNewer = (candidate: string, current: string | undefined) =>
  current === undefined || parseIso(candidate) >= parseIso(current);
/** `isNewer` with the candidate already in epoch ms: a call's time is parsed once. */
const isNewerMs = (candidateMs: number, current: string | undefined) =>
  current === undefined || candidateMs >= parseIso(current);

/**
 * Sets traits at `at`, each only if newer than what is stored: identify calls may arrive out of
 * order (offline devices, retries), and the latest truth must win.
 */
export function withTraits(profile: Profile, traits: JsonObject, at: string): Profile {
  const next = { ...profile.traits };
  for (const [name, value] of Object.entries(traits)) {
    if (isNewer(at, next[name]?.updatedAt)) next[name] = { value, updatedAt: at };
  }
  return { ...profile, traits: next };
}

export function withAnonymousId(profile: Profile, anonymousId: string): Profile {
  if (profile.anonymousIds.includes(anonymousId)) return profile;
  return { ...profile, anonymousIds: [...profile.anonymousIds, anonymousId].slice(-ANONYMOUS_IDS_KEPT) };
}

function storeOf(call: SegmentCall): { storeId: string; zone?: string } | undefined {
  const location = call.context.location as Record<string, unknown> | undefined;
  const properties = 'properties' in call ? call.properties : {};
  const storeId = location?.storeId ?? properties.storeId;
  if (typeof storeId !== 'string' || storeId.length === 0) return undefined;
  const zone = properties.zone;
  return typeof zone === 'string' && zone.length > 0 ? { storeId, zone } : { storeId };
}

/**
 * Applies the profile side of a call: traits, groups, anonymous ids, channel presence, store
 * visit. Returns a new state object, `state` is left as it was.
 */
export function applyCallToProfile(state: CustomerState, call: SegmentCall): CustomerState {
  const next = { ...state };
  applyCallToProfileIn(next, call, parseIso(call.timestamp));
  return next;
}

/**
 * `applyCallToProfile` on a state the caller owns (the engine's working copy), with the call's
 * time already parsed (`atMs`): its own fields are set; the values it holds are replaced, never
 * changed.
 */
export function applyCallToProfileIn(state: CustomerState, call: SegmentCall, atMs: number): void {
  const at = call.timestamp;
  let profile = state.profile;
  if (call.type === 'identify') profile = withTraits(profile ?? emptyProfile(), call.traits, at);
  if (call.type === 'group') {
    const current = profile ?? emptyProfile();
    const existing = current.groups[call.groupId];
    if (isNewerMs(atMs, existing?.updatedAt)) {
      profile = {
        ...current,
        groups: { ...current.groups, [call.groupId]: { traits: call.traits, updatedAt: at } },
      };
    }
  }
  if (call.userId !== undefined && call.anonymousId !== undefined) {
    profile = withAnonymousId(profile ?? emptyProfile(), call.anonymousId);
  }
  if (profile !== undefined) state.profile = profile;

  if (isNewerMs(atMs, state.channels?.[call.channel]?.lastSeenAt)) {
    state.channels = withChannelSeen(state.channels, call.channel, at);
  }

  const store = storeOf(call);
  if (store !== undefined && isNewerMs(atMs, state.lastStoreVisit?.at))
    state.lastStoreVisit = { ...store, at };
}

type Channels = NonNullable<CustomerState['channels']>;
const CHANNEL_ORDER = Channel.options;

/**
 * The channel map with `channel` seen at `at`, its channels in the schema's order: maps built in
 * one order share their shape, which makes the copy, on every call, several times cheaper than a
 * spread of maps whose order is the customer's. A channel the schema does not know (a newer
 * writer's) is kept, by a spread.
 */
function withChannelSeen(channels: Channels | undefined, channel: Channel, at: string): Channels {
  const next: Channels = {};
  let kept = 0;
  for (const name of CHANNEL_ORDER) {
    const seen = channels?.[name];
    if (seen !== undefined) kept += 1;
    const value = name === channel ? { lastSeenAt: at } : seen;
    if (value !== undefined) next[name] = value;
  }
  if (channels !== undefined && kept !== Object.keys(channels).length)
    return { ...channels, [channel]: { lastSeenAt: at } };
  return next;
}

/** Joins two profiles: per trait and group the newer value wins; anonymous ids are kept from both. */
export function mergeProfiles(into: Profile | undefined, from: Profile | undefined): Profile | undefined {
  if (from === undefined) return into;
  if (into === undefined) return from;
  const traits = { ...into.traits };
  for (const [name, trait] of Object.entries(from.traits)) {
    const existing = traits[name];
    if (existing === undefined || parseIso(trait.updatedAt) > parseIso(existing.updatedAt))
      traits[name] = trait;
  }
  const groups = { ...into.groups };
  for (const [groupId, group] of Object.entries(from.groups)) {
    const existing = groups[groupId];
    if (existing === undefined || parseIso(group.updatedAt) > parseIso(existing.updatedAt))
      groups[groupId] = group;
  }
  let merged: Profile = { traits, groups, anonymousIds: into.anonymousIds };
  for (const anonymousId of from.anonymousIds) merged = withAnonymousId(merged, anonymousId);
  return merged;
}
