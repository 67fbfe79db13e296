/**
 * When to try a failed webhook delivery again: capped exponential backoff with "equal jitter"
 * (AWS Architecture Blog, "Exponential Backoff And Jitter"), and a dead letter after the last
 * attempt. Randomness is an input so the policy stays a pure function.
 */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

export type NextStep = { kind: 'retry'; at: Date } | { kind: 'dead_letter' };

/**
 * @param attemptsMade attempts made so far, the failed one included (1 after the first failure)
 * @param random a number in [0, 1), e.g. `Math.random()` supplied by the adapter
 */
export function nextDeliveryStep(
  policy: RetryPolicy,
  attemptsMade: number,
  now: Date,
  random: number,
): NextStep {
  if (attemptsMade >= policy.maxAttempts) return { kind: 'dead_letter' };
  const ceiling = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (attemptsMade - 1));
  // Half fixed, half jittered: spreads a burst of failures without retrying at once.
  const delaySeconds = ceiling / 2 + (ceiling / 2) * random;
  return { kind: 'retry', at: new Date(now.getTime() + delaySeconds * 1_000) };
}
