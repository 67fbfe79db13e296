import { RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';
import { sha256 } from './digest.js';

/**
 * How a message id is remembered: short ids as they are, longer ones (UUIDs, timer ids) as `#`
 * and 11 base64url characters of their SHA-256 — a third of the size, and a false duplicate
 * about once in 10^18 records. A customer's state is mostly this window, and every write pays
 * for the whole item.
 */
export function messageIdKey(messageId: string): string {
  if (messageId.length <= 12) return messageId;
  return `#${sha256(messageId, 'base64url').slice(0, 11)}`;
}

/** Past this many look-ups in one call, a Set pays for its construction. */
const LOOKUPS_BEFORE_A_SET = 8;

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
  private lookups = 0;

  constructor(stored: readonly string[]) {
    this.ids = stored as string[];
  }

  /** `key` is `messageIdKey(id)`, computed once per record by the caller. */
  has(key: string, id: string): boolean {
    this.lookups += 1;
    if (this.members === undefined && this.lookups > LOOKUPS_BEFORE_A_SET)
      this.members = new Set(this.window());
    // The raw id too: states written before ids were stored as digests still dedupe.
    if (this.members !== undefined) return this.members.has(key) || this.members.has(id);
    // One pass for both: the window's strings are read once (they are scattered in memory, and
    // reading them is most of the cost).
    for (const stored of this.window()) if (stored === key || stored === id) return true;
    return false;
  }

  add(key: string): void {
    if (!this.owned) {
      // The copy leaves out what this id pushes out of a full window: no shift on it after.
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
