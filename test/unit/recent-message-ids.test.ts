import { describe, expect, it } from 'vitest';
import { messageIdKey, RecentMessageIds } from '../../lambdas/core/recent-message-ids.js';
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

  it('recognises a long id by its digest and, in states written before digests, by itself', () => {
    const uuid = '0b6a3c8e-2f4d-4e1a-9c7b-5d3e2f1a0b9c';
    expect(messageIdKey(uuid)).toMatch(/^#[\w-]{11}$/);
    expect(messageIdKey('short-id')).toBe('short-id');
    expect(new RecentMessageIds([messageIdKey(uuid)]).has(messageIdKey(uuid), uuid)).toBe(true);
    expect(new RecentMessageIds([uuid]).has(messageIdKey(uuid), uuid)).toBe(true);
  });
});
