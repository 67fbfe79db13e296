import { describe, expect, it } from 'vitest';
import { legacyMessageIdKey, messageIdKey, RecentMessageIds } from '../../lambdas/core/recent-message-ids.js';
import { RECENT_MESSAGE_IDS_KEPT } from '../../schemas/customer-state.js';

const full = () => Array.from({ length: RECENT_MESSAGE_IDS_KEPT }, (_, i) => `m-${i}`);

describe('RecentMessageIds', () => {
  it.each([
    ['a few look-ups (scanned)', 1],
    ['many look-ups first (a Set)', 20],
  ])('slides a full window by one per id added, with %s', (_, lookups) => {
    const stored = Object.freeze(full());
    const recent = new RecentMessageIds(stored);
    for (let i = 0; i < lookups; i += 1) expect(recent.has('m-5', 'm-5')).toBe(true);
    expect(recent.has('m-new', 'm-new')).toBe(false);
    recent.add('m-new');
    // The oldest id left the window, the new one is in it, and the stored array is as it was.
    expect(recent.has('m-0', 'm-0')).toBe(false);
    expect(recent.has('m-new', 'm-new')).toBe(true);
    expect(recent.toArray()).toEqual([...full().slice(1), 'm-new']);
    expect(stored).toEqual(full());
  });

  it('recognises a long id by its key, by its SHA-256 key in older states, and by itself in states before keys', () => {
    const uuid = '0b6a3c8e-2f4d-4e1a-9c7b-5d3e2f1a0b9c';
    expect(messageIdKey(uuid)).toMatch(/^~[\w-]{11}$/);
    expect(legacyMessageIdKey(uuid)).toMatch(/^#[\w-]{11}$/);
    expect(messageIdKey('short-id')).toBe('short-id');
    const others = Array.from({ length: 30 }, (_, i) => messageIdKey(`other-message-${i}-${uuid}`));
    for (const lookups of [1, 20]) {
      const inWindow = (stored: string[]) => {
        const recent = new RecentMessageIds(stored);
        let found = false;
        for (let i = 0; i < lookups; i += 1) found = recent.has(messageIdKey(uuid), uuid);
        return found;
      };
      expect(inWindow([...others, messageIdKey(uuid)])).toBe(true);
      expect(inWindow([...others, legacyMessageIdKey(uuid)])).toBe(true);
      expect(inWindow([...others, uuid])).toBe(true);
      expect(inWindow([...others, legacyMessageIdKey('0b6a3c8e-2f4d-4e1a-9c7b-5d3e2f1a0b9d')])).toBe(false);
      expect(inWindow(others)).toBe(false);
    }
  });

  it('gives 64-bit keys that tell 200,000 ids apart, every character of them in use', () => {
    const keys = new Set<string>();
    const seen = Array.from({ length: 12 }, () => new Set<string>());
    for (let i = 0; i < 200_000; i += 1) {
      const key = messageIdKey(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      keys.add(key);
      for (let c = 0; c < key.length; c += 1) seen[c]?.add(key[c] as string);
    }
    expect(keys.size).toBe(200_000);
    // 64 bits in 11 sextets: the first holds 4 bits (16 characters), the others 6 (64).
    expect(seen.map((chars) => chars.size)).toEqual([1, 16, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64]);
  });
});
