import type { DraftChange } from '../../schemas/config-api.js';

/** Enough to see what a change did; a rewrite of a whole journey is summarised, not copied. */
export const MAX_AUDITED_CHANGES = 50;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The changes from one draft to the next, leaf by leaf, as dotted paths: compact enough to
 * audit every save. Arrays are compared by index.
 *
 * @example
 * diffDrafts({ name: 'A' }, { name: 'B' }) // [{ path: 'name', from: 'A', to: 'B' }]
 */
export function diffDrafts(before: unknown, after: unknown): { changes: DraftChange[]; truncated: boolean } {
  const changes: DraftChange[] = [];
  walk(before, after, [], changes);
  return { changes: changes.slice(0, MAX_AUDITED_CHANGES), truncated: changes.length > MAX_AUDITED_CHANGES };
}

function walk(before: unknown, after: unknown, path: string[], changes: DraftChange[]): void {
  if (changes.length > MAX_AUDITED_CHANGES) return;
  const bothObjects = isPlainObject(before) && isPlainObject(after);
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  if (bothObjects || bothArrays) {
    const left = before as Record<string, unknown>;
    const right = after as Record<string, unknown>;
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      const has = (side: Record<string, unknown>) => Object.hasOwn(side, key);
      if (!has(left)) changes.push({ path: [...path, key].join('.'), to: right[key] });
      else if (!has(right)) changes.push({ path: [...path, key].join('.'), from: left[key] });
      else walk(left[key], right[key], [...path, key], changes);
    }
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after))
    changes.push({
      path: path.join('.'),
      ...(before === undefined ? {} : { from: before }),
      ...(after === undefined ? {} : { to: after }),
    });
}
