import { createHash } from 'node:crypto';

/**
 * Which of 10,000 buckets a customer falls in for a journey: a hash of both ids, so the same
 * customer always gets the same variant of the same journey, and different journeys split
 * independently. Deterministic: no randomness in the core.
 */
export function splitBucket(customerId: string, journeyId: string, salt = ''): number {
  const digest = createHash('sha256').update(`${journeyId}\u0000${salt}\u0000${customerId}`).digest();
  return digest.readUInt32BE(0) % 10_000;
}

/**
 * The A/B arm of a journey's holdout group in reports, beside its split variants' names: no
 * variant may take this name.
 */
export const HOLDOUT_ARM = 'holdout';

/** Picks the variant whose cumulative share contains the customer's bucket. */
export function pickVariant<V extends { percent: number }>(
  variants: readonly V[],
  bucket: number,
): V | undefined {
  let upper = 0;
  for (const variant of variants) {
    upper += variant.percent * 100;
    if (bucket < upper) return variant;
  }
  return variants[variants.length - 1];
}
