import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NextStep, nextDeliveryStep, type RetryPolicy } from '../../lambdas/core/delivery-policy.js';

const policy: RetryPolicy = { maxAttempts: 8, baseDelaySeconds: 10, maxDelaySeconds: 300 };
const now = new Date('2024-05-01T12:00:00.000Z');

/** Seconds from `now` to the retry, failing the test if the step is not a retry. */
function delayOf(step: NextStep): number {
  if (step.kind !== 'retry') throw new Error(`expected a retry, got ${step.kind}`);
  return (step.at.getTime() - now.getTime()) / 1_000;
}

describe('nextDeliveryStep', () => {
  it('retries after half the base delay at the least and nearly the base delay at most after the first failure', () => {
    expect(delayOf(nextDeliveryStep(policy, 1, now, 0))).toBe(5);
    const highest = delayOf(nextDeliveryStep(policy, 1, now, 0.999));
    expect(highest).toBeGreaterThan(9.98);
    expect(highest).toBeLessThan(10);
  });

  it('doubles the delay window with each attempt until the cap', () => {
    // ceilings: 10, 20, 40, 80, 160, then 300 (capped) for attempts 1..7
    const ceilings = [10, 20, 40, 80, 160, 300, 300];
    ceilings.forEach((ceiling, index) => {
      const attemptsMade = index + 1;
      expect(delayOf(nextDeliveryStep(policy, attemptsMade, now, 0))).toBe(ceiling / 2);
      const top = delayOf(nextDeliveryStep(policy, attemptsMade, now, 0.999));
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeCloseTo(ceiling * 0.9995, 6);
    });
  });

  it('keeps every delay between half the ceiling and the ceiling for any jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: policy.maxAttempts - 1 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attemptsMade, random) => {
          const ceiling = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (attemptsMade - 1));
          const delay = delayOf(nextDeliveryStep(policy, attemptsMade, now, random));
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          // Dates keep whole milliseconds, so a jitter just under 1 may round up to the ceiling.
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('never waits longer than maxDelaySeconds, however many attempts were made', () => {
    const generous: RetryPolicy = { maxAttempts: 10_000, baseDelaySeconds: 1, maxDelaySeconds: 60 };
    for (const attemptsMade of [7, 8, 50, 1_100, 9_999]) {
      const delay = delayOf(nextDeliveryStep(generous, attemptsMade, now, 0.999));
      expect(delay).toBeLessThanOrEqual(60);
      expect(delay).toBeCloseTo(59.97, 6);
      expect(delay).toBeGreaterThanOrEqual(30);
    }
  });

  it('grows the delay with the attempt count for the same jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: policy.maxAttempts - 2 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attemptsMade, random) => {
          const earlier = delayOf(nextDeliveryStep(policy, attemptsMade, now, random));
          const later = delayOf(nextDeliveryStep(policy, attemptsMade + 1, now, random));
          expect(later).toBeGreaterThanOrEqual(earlier);
        },
      ),
    );
  });

  it('dead-letters exactly when the attempts made reach maxAttempts', () => {
    expect(nextDeliveryStep(policy, policy.maxAttempts - 1, now, 0.5).kind).toBe('retry');
    expect(nextDeliveryStep(policy, policy.maxAttempts, now, 0.5)).toEqual({ kind: 'dead_letter' });
    expect(nextDeliveryStep(policy, policy.maxAttempts + 3, now, 0.5)).toEqual({ kind: 'dead_letter' });
  });

  it('dead-letters after the first failure when only one attempt is allowed', () => {
    expect(nextDeliveryStep({ ...policy, maxAttempts: 1 }, 1, now, 0)).toEqual({ kind: 'dead_letter' });
  });

  it('does not change the clock it is given', () => {
    const clock = new Date(now);
    nextDeliveryStep(policy, 2, clock, 0.3);
    expect(clock.getTime()).toBe(now.getTime());
  });
});
