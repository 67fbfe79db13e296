import { createHash } from 'node:crypto';
import type { Comparison } from '../../schemas/condition.js';

/**
 * Behavioural counters: how many times a customer did something in a rolling window, kept as
 * counts per time bucket (`[bucket index, count]`, oldest first). Short windows (≤ 2 days) count
 * per hour, longer ones per day, up to 90 days: a counter never holds more than 90 buckets,
 * whatever the customer's activity, which keeps the state small and bounded. Windows are
 * rolling at the bucket's precision. Counting starts when a published journey first asks.
 */

const HOUR = 3_600;
const DAY = 86_400;
export const MAX_COUNT_WINDOW_SECONDS = 90 * DAY;

export interface CounterSpec {
  id: string;
  event: string;
  bucketSeconds: number;
  /** The longest window any condition asks of this counter. */
  horizonSeconds: number;
  matches: (event: Readonly<Record<string, unknown>>) => boolean;
}

export type CounterBuckets = [number, number][];

/** Collects, while journeys compile, the counters their conditions need; shared ones once. */
export class CounterRegistry {
  private readonly specs = new Map<string, CounterSpec>();

  register(
    event: string,
    where: readonly Comparison[],
    withinSeconds: number,
    matches: CounterSpec['matches'],
  ): string {
    const bucketSeconds = withinSeconds <= 2 * DAY ? HOUR : DAY;
    const id = createHash('sha256')
      .update(JSON.stringify([event, where, bucketSeconds]))
      .digest('base64url')
      .slice(0, 10);
    const horizonSeconds = Math.min(withinSeconds, MAX_COUNT_WINDOW_SECONDS);
    const existing = this.specs.get(id);
    if (existing === undefined) this.specs.set(id, { id, event, bucketSeconds, horizonSeconds, matches });
    else existing.horizonSeconds = Math.max(existing.horizonSeconds, horizonSeconds);
    return id;
  }

  /** The counters an event of this name may increment. */
  forEvent(): Map<string, CounterSpec[]> {
    const byEvent = new Map<string, CounterSpec[]>();
    for (const spec of this.specs.values())
      byEvent.set(spec.event, [...(byEvent.get(spec.event) ?? []), spec]);
    return byEvent;
  }

  /** Every counter's id, in the order they were registered. */
  ids(): string[] {
    return [...this.specs.keys()];
  }

  get(id: string): CounterSpec | undefined {
    return this.specs.get(id);
  }
}

/**
 * Adds one occurrence at `at` (epoch ms) and drops buckets past the counter's horizon, counted
 * back from the newest bucket (not from `at`: an old event arriving late, a history import,
 * must not keep older buckets alive). The horizon spans `horizonSeconds / bucketSeconds`
 * buckets, the newest included, which is all that `countWithin` ever reads.
 */
export function increment(
  buckets: CounterBuckets | undefined,
  spec: CounterSpec,
  at: number,
): CounterBuckets {
  const bucket = Math.floor(at / 1_000 / spec.bucketSeconds);
  const stored = buckets ?? [];
  const newest = Math.max(bucket, stored.at(-1)?.[0] ?? bucket);
  const oldestKept = newest - Math.ceil(spec.horizonSeconds / spec.bucketSeconds) + 1;
  // One pass, one new array: buckets kept as they are are shared with the stored array (they are
  // never changed in place), the incremented one is a new pair.
  const next: CounterBuckets = [];
  let counted = bucket < oldestKept;
  for (const pair of stored) {
    const index = pair[0];
    if (index < oldestKept) continue;
    if (!counted && index > bucket) {
      next.push([bucket, 1]);
      counted = true;
    }
    if (index === bucket && !counted) {
      next.push([index, pair[1] + 1]);
      counted = true;
    } else next.push(pair);
  }
  // Older than any window can reach: counting it would change no answer.
  if (!counted) next.push([bucket, 1]);
  return next;
}

/** Occurrences within the last `withinSeconds` before `now` (epoch ms), at bucket precision. */
export function countWithin(
  buckets: CounterBuckets | undefined,
  bucketSeconds: number,
  withinSeconds: number,
  now: number,
): number {
  if (buckets === undefined) return 0;
  const current = Math.floor(now / 1_000 / bucketSeconds);
  const oldest = current - Math.ceil(withinSeconds / bucketSeconds) + 1;
  let total = 0;
  for (const [index, n] of buckets) if (index >= oldest && index <= current) total += n;
  return total;
}
