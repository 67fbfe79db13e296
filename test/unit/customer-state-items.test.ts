import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HOT_ITEM_BUDGET,
  HOT_SORT_KEY,
  planStateWrite,
  readStateItems,
  type StateWrite,
} from '../../lambdas/adapters/customer-state-items.js';
import { dynamoItemSize } from '../../lambdas/adapters/dynamo-item-size.js';
import { joinWindow, packIds, splitWindow, unpackIds } from '../../lambdas/adapters/message-id-window.js';
import { messageIdKey } from '../../lambdas/core/engine.js';
import { legacyMessageIdKey } from '../../lambdas/core/recent-message-ids.js';

const partition = 'acme#claire';
const at = '2030-06-01T12:00:00.000Z';

const baseState = (version: number, ids: string[] = []) => ({
  tenantId: 'acme',
  customerId: 'claire',
  version,
  recentMessageIds: ids,
  eventCount: ids.length,
  firstSeenAt: at,
  lastSeenAt: at,
  journeys: {},
  profile: { traits: { tier: { value: 'gold', updatedAt: at } }, groups: {}, anonymousIds: [] },
});

/** The items after a write: what a Query would read back. */
const itemsOf = (write: StateWrite, previous: Record<string, unknown>[] = []) => {
  const bySortKey = new Map(previous.map((item) => [item.sk as string, item]));
  for (const item of [write.hot, ...write.puts]) bySortKey.set(item.sk as string, item);
  for (const sk of write.deletes) bySortKey.delete(sk);
  return [...bySortKey.values()];
};

describe('packed message ids', () => {
  it('round-trip any window: digests in 9 bytes, any other id with its length', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uuid().map(messageIdKey),
            fc.uuid().map(legacyMessageIdKey),
            fc.string({ maxLength: 300 }),
            fc.uuid(),
          ),
        ),
        (ids) => {
          expect(unpackIds(packIds(ids))).toEqual(ids);
        },
      ),
    );
    const digests = Array.from({ length: 100 }, () => messageIdKey(randomUUID()));
    expect(packIds(digests).byteLength).toBe(900);
    expect(packIds(digests.map((_, i) => legacyMessageIdKey(`${i}-${randomUUID()}`))).byteLength).toBe(900);
  });

  it('keep the older block while the newest ids are few, then fold the whole window into a new block', () => {
    const ids = Array.from({ length: 120 }, (_, i) => `m-${i}`);
    const NEWEST_IDS_MAX = 16;
    const first = splitWindow(ids.slice(0, 100), undefined, NEWEST_IDS_MAX);
    expect(first).toEqual({ block: ids.slice(0, 100), skip: 0, newest: [] });
    const later = splitWindow(ids.slice(10, 110), first.block, NEWEST_IDS_MAX);
    expect(later.block).toBe(first.block);
    expect(joinWindow(later)).toEqual(ids.slice(10, 110));
    const muchLater = splitWindow(ids.slice(20, 120), first.block, NEWEST_IDS_MAX);
    expect(muchLater).toEqual({ block: ids.slice(20, 120), skip: 0, newest: [] });
  });
});

describe('the state in items', () => {
  it('saves and loads a field no part names (added to the state later)', () => {
    const state = { ...baseState(1), loyalty: { points: 1_250, tier: 'silver' } };
    const write = planStateWrite(partition, state, undefined);
    const read = readStateItems(itemsOf(write));
    expect(read).not.toBe(undefined);
    expect(typeof read === 'object' && read.state).toEqual(state);

    // Changed alone, it is written again and read back; unchanged, it is not.
    const stored = typeof read === 'object' ? read.stored : undefined;
    const changed = { ...state, version: 2, loyalty: { points: 1_300, tier: 'silver' } };
    const second = planStateWrite(partition, changed, stored);
    const secondRead = readStateItems(itemsOf(second, itemsOf(write)));
    expect(typeof secondRead === 'object' && secondRead.state).toEqual(changed);
    const third = planStateWrite(partition, { ...changed, version: 3 }, second.stored);
    expect(third.puts).toEqual([]);
  });

  it('keeps the hot item within one write unit for a customer with a full window', () => {
    const ids = Array.from({ length: 100 }, () => messageIdKey(randomUUID()));
    let previous: StateWrite | undefined;
    let items: Record<string, unknown>[] = [];
    for (let event = 0; event < 40; event += 1) {
      ids.push(messageIdKey(randomUUID()));
      const write = planStateWrite(partition, baseState(event + 1, ids.slice(-100)), previous?.stored);
      expect(dynamoItemSize(write.hot)).toBeLessThanOrEqual(HOT_ITEM_BUDGET);
      items = itemsOf(write, items);
      const read = readStateItems(items);
      expect(typeof read === 'object' && read.state.recentMessageIds).toEqual(ids.slice(-100));
      previous = write;
    }
  });

  it('reads a part at another version than the hot item names as a torn read', () => {
    const write = planStateWrite(partition, baseState(1), undefined);
    const items = itemsOf(write).map((item) => (item.sk === HOT_SORT_KEY ? item : { ...item, version: 9 }));
    expect(typeof readStateItems(items)).toBe('symbol');
  });
});
