import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { dynamoItemSize } from './dynamo-item-size.js';
import { joinWindow, packIds, splitWindow, unpackIds } from './message-id-window.js';

/**
 * How one customer's state lies in the customers table: plain functions over plain data, shared
 * by the customer store (lambdas/adapters/customer-store.ts) and the bench.
 *
 * The state is split into parts under the customer's partition, so that a write carries what
 * changed and not the whole state (a write is charged 1 unit per KB of each item it writes, twice
 * in a transaction):
 * - `STATE`, the hot item, written on every write under the optimistic `version`: what changes
 *   with every event (watermark, counts, channels, the newest message ids), then as many of the
 *   FLEXIBLE parts as fit in 1 KB, and the manifest: which other parts exist, at which version.
 * - `STATE#<part>`, one item per other part, written only when its content changed (compared as
 *   canonical JSON with what was read), carrying the version of the write that wrote it.
 * Every write goes through the hot item's condition, so a part is never written by a stale writer;
 * a reader checks each part's version against the manifest, which finds a read that fell across
 * another writer's transaction (Query is only read-committed per item).
 * Parts are JSON, deflated (with a small dictionary of the state's field names) in Binary
 * attributes: JSON text keeps numbers DynamoDB could not hold; deflate divides journeys by 6.
 */

export const HOT_SORT_KEY = 'STATE';
export const PART_PREFIX = 'STATE#';
/** Every item of the state starts with this sort key: one Query reads them all. */
export const STATE_SORT_KEY_PREFIX = HOT_SORT_KEY;

/** Fields that change with (almost) every event: always in the hot item. */
const HOT_FIELDS = ['appliedSequence', 'eventCount', 'lastSeenAt', 'channels'];
/** Parts that go in the hot item while it stays within 1 KB, most often changed first. */
const FLEXIBLE_PARTS: Record<string, readonly string[]> = {
  counters: ['counters', 'recentEvents', 'lastStoreVisit'],
  instances: ['instances', 'attribution'],
  journeys: ['journeys'],
};
/** Parts that change rarely: always items of their own. */
const COLD_PARTS: Record<string, readonly string[]> = {
  identity: ['tenantId', 'customerId', 'firstSeenAt', 'mergedInto', 'mergedFrom'],
  profile: ['profile'],
  consent: ['consent'],
};
/** A field named nowhere above (added to CustomerState later) lands here: flexible, tried last. */
const OTHER_PART = 'other';
/** The older message ids: rewritten once every NEWEST_IDS_MAX events. */
const IDS_PART = 'ids';
export const NEWEST_IDS_MAX = 24;
/** Fields the layout handles itself. */
const OWN_FIELDS = new Set(['version', 'recentMessageIds']);

const KNOWN_FIELDS = new Set([
  ...HOT_FIELDS,
  ...Object.values(FLEXIBLE_PARTS).flat(),
  ...Object.values(COLD_PARTS).flat(),
  ...OWN_FIELDS,
]);

/** A write unit is 1 KB: the hot item stays within it. */
export const HOT_ITEM_BUDGET = 1_024;

/** What a reader (or the writer that just wrote) knows of the stored items: what a write compares with. */
export interface StoredState {
  version: number;
  /** Random per write: a write trusting this snapshot also checks it (the partition was not recreated). */
  writeId?: string;
  /** Parts stored as items of their own, at the version that wrote them. */
  manifest: Record<string, number>;
  /** Canonical JSON of each part as stored, by part name (hot parts included). */
  texts: Record<string, string>;
  /** Parts that sat in the hot item. */
  hotParts: readonly string[];
  idsBlock: readonly string[];
  /** Items of the state that the manifest does not name (left over): removed by the next write. */
  strays: readonly string[];
}

type Item = Record<string, unknown>;
type State = Record<string, unknown> & { version: number };

export interface StateWrite {
  hot: Item;
  puts: Item[];
  deletes: string[];
  stored: StoredState;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Format 1: deflate-raw with DICTIONARY_1. Never change it: a new dictionary is a new format. */
const FORMAT_DEFLATE_1 = 1;
const DICTIONARY_1 = Buffer.from(
  '"tenantId":"customerId":"firstSeenAt":"mergedInto":"mergedFrom":["profile":{"anonymousIds":["groups":{},' +
    '"traits":{"updatedAt":"value":"consent":"counters":{"recentEvents":[{"at":"event":"messageId":"properties":{},' +
    '"lastStoreVisit":{"storeId":"zone":"attribution":[{"goalUntil":"holdout":false,"variant":"instanceId":' +
    '"instances":{"enteredAt":"goalReachedAt":"waiting":{"dueAt":"timerId":"journeyId":"stepId":"version":1,' +
    '"journeys":{"entries":1,"lastEnteredAt":"appliedSequence":"eventCount":"lastSeenAt":"channels":' +
    '{"mobile":{"lastSeenAt":"store":{"lastSeenAt":"web":{"lastSeenAt":"2026-01-01T00:00:00.000Z"}',
);

export function encodePart(text: string): Uint8Array {
  // Level 6: as small as 9 on these sizes, several times faster.
  const deflated = deflateRawSync(Buffer.from(text, 'utf8'), { level: 6, dictionary: DICTIONARY_1 });
  const bytes = new Uint8Array(deflated.byteLength + 1);
  bytes[0] = FORMAT_DEFLATE_1;
  bytes.set(deflated, 1);
  return bytes;
}

export function decodePart(bytes: Uint8Array): unknown {
  if (bytes[0] !== FORMAT_DEFLATE_1) throw new Error(`unknown state part format ${bytes[0]}`);
  const text = inflateRawSync(bytes.subarray(1), { dictionary: DICTIONARY_1 }).toString('utf8');
  return JSON.parse(text);
}

/** JSON with every object's keys sorted: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, nested) =>
    nested !== null && typeof nested === 'object' && !Array.isArray(nested)
      ? Object.fromEntries(Object.entries(nested).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : nested,
  );
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** The state's parts, by part name: each the fields it holds that are set. */
function partsOf(state: State): Map<string, Item> {
  const parts = new Map<string, Item>();
  const put = (part: string, field: string) => {
    const value = state[field];
    if (value === undefined) return;
    const fields = parts.get(part) ?? {};
    fields[field] = value;
    parts.set(part, fields);
  };
  for (const field of HOT_FIELDS) put('hot', field);
  for (const [part, fields] of Object.entries({ ...FLEXIBLE_PARTS, ...COLD_PARTS }))
    for (const field of fields) put(part, field);
  for (const field of Object.keys(state)) if (!KNOWN_FIELDS.has(field)) put(OTHER_PART, field);
  return parts;
}

const isFlexible = (part: string) => part in FLEXIBLE_PARTS || part === OTHER_PART;
const partSortKey = (part: string) => `${PART_PREFIX}${part}`;

/**
 * The items that store `state` (its `version` already the new one), given what is stored
 * (`previous`, from the read; undefined when unknown: then every part is written).
 * `maxItems` is how many items the state may take in this write (the transaction's budget left):
 * when changed parts would not fit, they go in the hot item instead.
 */
export function planStateWrite(
  partition: string,
  state: State,
  previous: StoredState | undefined,
  maxItems = Number.POSITIVE_INFINITY,
  writeId = randomBytes(6).toString('base64url'),
): StateWrite {
  const parts = partsOf(state);
  const texts: Record<string, string> = {};
  for (const [part, fields] of parts) texts[part] = canonicalJson(fields);
  const changed = (part: string) =>
    previous === undefined ||
    previous.texts[part] !== texts[part] ||
    (previous.manifest[part] === undefined) !== previous.hotParts.includes(part);

  const window = splitWindow(
    (state.recentMessageIds as string[] | undefined) ?? [],
    previous?.manifest[IDS_PART] === undefined ? undefined : previous.idsBlock,
    NEWEST_IDS_MAX,
  );
  const hotItems = new Map<string, Item>();
  const hotItem = (
    hotParts: readonly string[],
    manifest: Record<string, number>,
    newest: readonly string[],
  ) => {
    // The hot item tried last is most often the one written: deflated once.
    const key = JSON.stringify([hotParts, manifest, newest.length]);
    const known = hotItems.get(key);
    if (known !== undefined) return known;
    const fields: Item = {};
    for (const part of ['hot', ...hotParts]) Object.assign(fields, parts.get(part));
    const item: Item = {
      pk: partition,
      sk: HOT_SORT_KEY,
      version: state.version,
      writeId,
      hot: encodePart(canonicalJson({ fields, manifest, skip: window.skip })),
    };
    if (newest.length > 0) item.ids = packIds(newest);
    hotItems.set(key, item);
    return item;
  };

  const build = (foldChanged: boolean): StateWrite => {
    const hotParts: string[] = [];
    const manifest: Record<string, number> = {};
    const puts: Item[] = [];
    const candidates = [...parts.keys()].filter((part) => part !== 'hot');
    const keepCold = (part: string) => previous?.manifest[part] !== undefined && !changed(part);
    for (const part of candidates) {
      if (keepCold(part)) manifest[part] = previous?.manifest[part] as number;
      else if (foldChanged) hotParts.push(part);
    }
    let newest = window.newest;
    let idsBlockWritten = false;
    if (window.block.length > 0) {
      const blockKept = window.block === previous?.idsBlock && previous.manifest[IDS_PART] !== undefined;
      if (blockKept) manifest[IDS_PART] = previous.manifest[IDS_PART] as number;
      else if (foldChanged) newest = [...window.block, ...window.newest];
      else idsBlockWritten = true;
    }
    if (!foldChanged) {
      // Flexible parts fill the hot item, in order, while it stays within a write unit (room kept
      // for the newest ids to come); the manifest tried names every other part as written now.
      const reserve = (NEWEST_IDS_MAX - newest.length) * 9;
      const manifestWith = (hot: readonly string[]) => {
        const all: Record<string, number> = { ...manifest };
        for (const part of candidates) if (!hot.includes(part)) all[part] ??= state.version;
        if (idsBlockWritten) all[IDS_PART] = state.version;
        return all;
      };
      const fits = (tried: readonly string[]) =>
        dynamoItemSize(hotItem(tried, manifestWith(tried), newest)) + reserve + 16 <= HOT_ITEM_BUDGET;
      const flexible = candidates.filter((part) => isFlexible(part) && !keepCold(part));
      // Most often all of them fit: one try; otherwise one by one, in order.
      if (flexible.length > 0 && fits([...hotParts, ...flexible])) hotParts.push(...flexible);
      else for (const part of flexible) if (fits([...hotParts, part])) hotParts.push(part);
      for (const part of candidates) {
        if (keepCold(part) || hotParts.includes(part)) continue;
        manifest[part] = state.version;
        puts.push({
          pk: partition,
          sk: partSortKey(part),
          version: state.version,
          part: encodePart(texts[part] as string),
        });
      }
      if (idsBlockWritten) {
        manifest[IDS_PART] = state.version;
        puts.push({
          pk: partition,
          sk: partSortKey(IDS_PART),
          version: state.version,
          ids: packIds(window.block),
        });
      }
    }
    const stale = [...Object.keys(previous?.manifest ?? {}), ...(previous?.strays ?? [])];
    const deletes = foldChanged
      ? []
      : [...new Set(stale)].filter((part) => manifest[part] === undefined).map(partSortKey);
    const idsBlock = manifest[IDS_PART] === undefined ? [] : window.block;
    return {
      hot: hotItem(hotParts, manifest, newest),
      puts,
      deletes,
      stored: {
        version: state.version,
        writeId,
        manifest,
        texts,
        hotParts,
        idsBlock,
        strays: foldChanged ? stale.filter((part) => manifest[part] === undefined) : [],
      },
    };
  };
  const planned = build(false);
  return 1 + planned.puts.length + planned.deletes.length <= maxItems ? planned : build(true);
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** A read that fell across another writer's transaction: read again. */
export const TORN_READ = Symbol('torn read');

/**
 * The state from its items (one Query on the partition, `begins_with(sk, 'STATE')`), as a plain
 * object for the caller to validate, with what the next write compares with. An older single
 * `STATE` item (the whole state as JSON text, or as a map) loads as it is.
 */
export function readStateItems(
  items: readonly Item[],
): { state: Item; stored: StoredState } | undefined | typeof TORN_READ {
  const hot = items.find((item) => item.sk === HOT_SORT_KEY);
  if (hot === undefined) return undefined;
  const others = new Map(
    items
      .filter((item) => typeof item.sk === 'string' && item.sk.startsWith(PART_PREFIX))
      .map((item) => [(item.sk as string).slice(PART_PREFIX.length), item]),
  );
  if (hot.state !== undefined) {
    const state = (typeof hot.state === 'string' ? JSON.parse(hot.state) : hot.state) as Item;
    return {
      state,
      stored: {
        version: Number(hot.version),
        manifest: {},
        texts: {},
        hotParts: [],
        idsBlock: [],
        strays: [...others.keys()],
      },
    };
  }
  const { fields, manifest, skip } = decodePart(hot.hot as Uint8Array) as {
    fields: Item;
    manifest: Record<string, number>;
    skip: number;
  };
  const state: Item = { ...fields };
  const texts: Record<string, string> = {};
  let idsBlock: string[] = [];
  for (const [part, version] of Object.entries(manifest)) {
    const item = others.get(part);
    if (item === undefined || Number(item.version) !== version) return TORN_READ;
    if (part === IDS_PART) idsBlock = unpackIds(item.ids as Uint8Array);
    else {
      const partFields = decodePart(item.part as Uint8Array) as Item;
      Object.assign(state, partFields);
      texts[part] = canonicalJson(partFields);
    }
  }
  const version = Number(hot.version);
  const newest = unpackIds(hot.ids as Uint8Array | undefined);
  state.version = version;
  state.recentMessageIds = joinWindow({ block: idsBlock, skip, newest });
  // The hot parts' texts, by the same split the next write makes.
  const split = partsOf({ ...fields, version });
  const hotParts = [...split.keys()].filter((part) => part !== 'hot');
  for (const [part, partFields] of split) texts[part] = canonicalJson(partFields);
  return {
    state,
    stored: {
      version,
      writeId: typeof hot.writeId === 'string' ? hot.writeId : undefined,
      manifest,
      texts,
      hotParts,
      idsBlock,
      strays: [...others.keys()].filter((part) => manifest[part] === undefined),
    },
  };
}
