import type { JsonObject } from '../../schemas/common.js';
import { Channel } from '../../schemas/segment-call.js';

/**
 * Where a call happened, when the sender did not say (`context.channel`): read from what
 * Segment-style libraries put in `context`. The rules, first match wins:
 *
 * 1. `context.channel`, when given (one of the channels).
 * 2. A store id (`context.location.storeId`, else `properties.storeId`, `traits.storeId` or
 *    `context.traits.storeId`) → `store`: the customer is in a shop, whatever device sent it.
 * 3. `context.library.name` of a known library → its channel (see `LIBRARY_CHANNELS`, and names
 *    mentioning a contact-centre or social platform).
 * 4. `context.app` → `mobile` (browsers never send it); `context.page` → `web`;
 *    `context.device` or `context.os` → `mobile`; `context.userAgent` → `web`.
 * 5. Otherwise `server`: a back office calling the HTTP API directly.
 */

/** Library names as the official Segment, RudderStack and Jitsu libraries send them, lowercased. */
export const LIBRARY_CHANNELS: ReadonlyMap<string, Channel> = new Map([
  // Browsers
  ...(
    [
      'analytics.js',
      'analytics-next',
      '@segment/analytics-next',
      'rudderlabs javascript sdk',
      '@rudderstack/analytics-js',
      'rudder-sdk-js',
      '@jitsu/js',
      'jitsu',
    ] as const
  ).map((name) => [name, 'web'] as const),
  // Apps
  ...(
    [
      'analytics-ios',
      'analytics-android',
      'analytics-swift',
      'analytics-kotlin',
      'analytics-react-native',
      '@segment/analytics-react-native',
      'analytics-flutter',
      'rudder-ios-library',
      'rudder-sdk-ios',
      'rudder-sdk-android',
      'com.rudderstack.android.sdk.core',
      '@rudderstack/rudder-sdk-react-native',
      'rudder-sdk-react-native',
      'rudder_sdk_flutter',
    ] as const
  ).map((name) => [name, 'mobile'] as const),
  // Back offices
  ...(
    [
      'analytics-node',
      '@segment/analytics-node',
      'analytics-node-next',
      'analytics-python',
      'analytics-ruby',
      'analytics-go',
      'analytics-java',
      'analytics-php',
      'analytics.net',
      'analytics-csharp',
      '@rudderstack/rudder-sdk-node',
      'rudder-sdk-node',
      'rudderstack-python',
      'rudder-sdk-python',
      'rudder-sdk-go',
      'rudder-sdk-java',
      'rudder-sdk-ruby',
      'rudder-sdk-php',
      'jitsu-node',
    ] as const
  ).map((name) => [name, 'server'] as const),
]);

/** Contact-centre and social platforms whose integrations name themselves in the library name. */
const CALL_CENTER_LIBRARY =
  /\b(call[-_ ]?cent(er|re)|contact[-_ ]?cent(er|re)|twilio[-_ ]?flex|amazon[-_ ]?connect|genesys|five9|talkdesk|aircall|cxone)\b/i;
const SOCIAL_LIBRARY = /\b(facebook|instagram|whatsapp|messenger|tiktok|twitter|linkedin|wechat)\b/i;

const CHANNELS: ReadonlySet<unknown> = new Set(Channel.options);

/** `StoreId`'s rule, without a zod parse: this runs for every call, and mostly finds nothing. */
const isStoreId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 256;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function libraryChannel(context: JsonObject): Channel | undefined {
  const library = context.library;
  if (!isObject(library) || typeof library.name !== 'string') return undefined;
  const name = library.name.toLowerCase();
  const known = LIBRARY_CHANNELS.get(name);
  if (known !== undefined) return known;
  if (CALL_CENTER_LIBRARY.test(name)) return 'call_center';
  if (SOCIAL_LIBRARY.test(name)) return 'social';
  return undefined;
}

/** Where a call says a store id can be; the first valid one is the store the customer is in. */
export function storeIdOf(call: {
  context: JsonObject;
  properties?: JsonObject | undefined;
  traits?: JsonObject | undefined;
}): string | undefined {
  const { location, traits } = call.context;
  if (isObject(location) && isStoreId(location.storeId)) return location.storeId;
  if (isStoreId(call.properties?.storeId)) return call.properties.storeId;
  if (isStoreId(call.traits?.storeId)) return call.traits.storeId;
  if (isObject(traits) && isStoreId(traits.storeId)) return traits.storeId;
  return undefined;
}

/** The channel of a call whose store id (if any) is already known. See the rules above. */
export function deriveChannel(context: JsonObject, storeId: string | undefined): Channel {
  if (CHANNELS.has(context.channel)) return context.channel as Channel;
  if (storeId !== undefined) return 'store';
  const fromLibrary = libraryChannel(context);
  if (fromLibrary !== undefined) return fromLibrary;
  if (context.app !== undefined) return 'mobile';
  if (context.page !== undefined) return 'web';
  if (context.device !== undefined || context.os !== undefined) return 'mobile';
  if (context.userAgent !== undefined) return 'web';
  return 'server';
}
