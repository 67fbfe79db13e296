import { RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';
import { sha256 } from './digest.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET = Array.from(BASE64URL, (char) => char.charCodeAt(0));
const TILDE = 126;

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * How a message id is remembered: short ids as they are, longer ones (UUIDs, timer ids) as `~`
 * and 11 base64url characters of a 64-bit hash (two MurmurHash3 lanes with their own seeds,
 * one pass) — a third of the size, and a false duplicate about once in 10^17 records for a
 * window of 100. The key only has to tell apart the ids one customer sent lately, not resist an
 * adversary (the sender is the tenant itself, and only its own customer's record would be
 * dropped), so it need not be SHA-256, a native call per record.
 */
export function messageIdKey(messageId: string): string {
  if (messageId.length <= 12) return messageId;
  let high = 0x9747b28c;
  let low = 0x5bd1e995;
  for (let i = 0; i < messageId.length; i += 1) {
    let k = Math.imul(messageId.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    high ^= k;
    high = (Math.imul((high << 13) | (high >>> 19), 5) + 0xe6546b64) | 0;
    low ^= k;
    low = (Math.imul((low << 17) | (low >>> 15), 9) + 0x52dce729) | 0;
  }
  high = fmix32(high ^ messageId.length);
  // The lanes mixed into each other, so that the low one does not share the high one's collisions.
  low = fmix32((low ^ messageId.length) + high);
  // 64 bits as 11 sextets (66 bits, the top two 0): 4 + 24 bits of `high`, its last 4 with the
  // first 2 of `low`, then 30 bits of `low`.
  return String.fromCharCode(
    TILDE,
    SEXTET[high >>> 28] as number,
    SEXTET[(high >>> 22) & 63] as number,
    SEXTET[(high >>> 16) & 63] as number,
    SEXTET[(high >>> 10) & 63] as number,
    SEXTET[(high >>> 4) & 63] as number,
    SEXTET[((high & 15) << 2) | (low >>> 30)] as number,
    SEXTET[(low >>> 24) & 63] as number,
    SEXTET[(low >>> 18) & 63] as number,
    SEXTET[(low >>> 12) & 63] as number,
    SEXTET[(low >>> 6) & 63] as number,
    SEXTET[low & 63] as number,
  );
}

/** The key states written before the 64-bit keys hold: `#` and 11 base64url characters of the SHA-256. */
export function legacyMessageIdKey(messageId: string): string {
  if (messageId.length <= 12) return messageId;
  return `#${sha256(messageId, 'base64url').slice(0, 11)}`;
}

/** Past this many look-ups in one call, a Set pays for its construction. */
const LOOKUPS_BEFORE_A_SET = 8;
const LEGACY_PREFIX = 35; // '#'

/**
 * The last RECENT_MESSAGE_IDS_KEPT message ids, oldest first. The window slides per record, so a
 * repeated message is judged the same whether or not a batch boundary falls in between.
 *
 * Most calls apply one record or a few: a scan of ≤ 100 short strings then costs less than
 * building a Set of them, so the Set is built only for long batches. The stored array is
 * copied on the first `add`, never changed: it belongs to the caller's state.
 */
export class RecentMessageIds {
  private ids: string[];
  private owned = false;
  private members: Set<string> | undefined;
  /**
   * Whether the Set holds SHA-256 keys of an older state, found once when the Set is built: ids
   * added since are 64-bit keys, so it can only stay true for longer than needed (an extra look-up).
   */
  private membersHoldLegacyKeys = false;
  private lookups = 0;

  constructor(stored: readonly string[]) {
    this.ids = stored as string[];
  }

  /** `key` is `messageIdKey(id)`, computed once per record by the caller. */
  has(key: string, id: string): boolean {
    this.lookups += 1;
    if (this.members === undefined && this.lookups > LOOKUPS_BEFORE_A_SET) {
      const window = this.window();
      this.members = new Set(window);
      this.membersHoldLegacyKeys = window.some((stored) => stored.charCodeAt(0) === LEGACY_PREFIX);
    }
    // The raw id too: states written before ids were stored as digests still dedupe.
    if (this.members !== undefined)
      return (
        this.members.has(key) ||
        this.members.has(id) ||
        (this.membersHoldLegacyKeys && this.members.has(legacyMessageIdKey(id)))
      );
    // One pass for both: the window's strings are read once (they are scattered in memory, and
    // reading them is most of the cost).
    let legacy = false;
    for (const stored of this.window()) {
      if (stored === key || stored === id) return true;
      if (stored.charCodeAt(0) === LEGACY_PREFIX) legacy = true;
    }
    // Only a window written before the 64-bit keys pays for a SHA-256, until its keys age out.
    if (!legacy || key === id) return false;
    const legacyKey = legacyMessageIdKey(id);
    for (const stored of this.window()) if (stored === legacyKey) return true;
    return false;
  }

  add(key: string): void {
    if (!this.owned) {
      // The copy leaves out what this id pushes out of a full window. `slice` and `push` copy
      // in native code; `concat` goes through a generic visitor, element by element, and cost
      // about 1,500 instructions per record (counted under callgrind).
      const stored = this.window();
      const dropped = Math.max(0, stored.length - RECENT_MESSAGE_IDS_KEPT + 1);
      for (let i = 0; i < dropped; i += 1) this.members?.delete(stored[i] as string);
      this.ids = stored.slice(dropped);
      this.owned = true;
    }
    this.ids.push(key);
    this.members?.add(key);
    while (this.ids.length > RECENT_MESSAGE_IDS_KEPT) {
      const evicted = this.ids.shift() as string;
      this.members?.delete(evicted);
    }
  }

  /** The window to store: a new array if anything was added, the stored one otherwise. */
  toArray(): string[] {
    return this.window();
  }

  private window(): string[] {
    return this.ids.length > RECENT_MESSAGE_IDS_KEPT ? this.ids.slice(-RECENT_MESSAGE_IDS_KEPT) : this.ids;
  }
}
