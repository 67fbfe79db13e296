import { setTimeout as sleep } from 'node:timers/promises';
import type { DecideResponse } from '../../schemas/decision-api.js';
import { loadCustomerState } from '../adapters/customer-store.js';
import { loadCapsHistory } from '../adapters/decision-items.js';
import { loadDecisionPolicy } from '../adapters/decision-policy-store.js';
import { loadTombstone } from '../adapters/erasure-store.js';
import { saveImpression } from '../adapters/impression-store.js';
import { logger } from '../adapters/logger.js';
import { decideForPlacement, type PullOutcome, type PullRequest } from '../core/decisioning/pull.js';
import { RetryableError, VersionConflictError } from '../core/errors.js';
import { customerRef } from '../core/ids.js';

/**
 * Attempts at counting an impression before giving up with 503. Each failed attempt means
 * another writer changed the caps item (and sends counted by a cap stop at the cap), so a burst
 * of requests for one customer settles within a few attempts.
 */
export const MAX_ATTEMPTS = 6;

export interface PullDependencies {
  /** Epoch ms: the moment of each attempt. */
  now: () => number;
  /** Waits before attempt `attempt` (2, 3…) after a version conflict. */
  backoff: (attempt: number) => Promise<void>;
}

export const REAL_PULL_DEPENDENCIES: PullDependencies = {
  now: () => Date.now(),
  // Full jitter: requests that collided once should not collide again in step.
  backoff: (attempt) => sleep(Math.random() * 5 * 2 ** Math.min(attempt, 6)),
};

/**
 * The customer's state and caps, one read each, side by side. An id joined to another customer
 * (an anonymous visitor who logged in) is answered for the customer it was joined to.
 */
async function readCustomer(tenantId: string, customerId: string) {
  const [state, history] = await Promise.all([
    loadCustomerState(tenantId, customerId),
    loadCapsHistory(tenantId, customerId),
  ]);
  if (state?.mergedInto === undefined) return { customerId, state, history };
  const target = state.mergedInto;
  const [merged, mergedHistory] = await Promise.all([
    loadCustomerState(tenantId, target),
    loadCapsHistory(tenantId, target),
  ]);
  return { customerId: target, state: merged, history: mergedHistory };
}

function responseOf(outcome: PullOutcome, channel: PullRequest['channel']): DecideResponse {
  const { shown } = outcome;
  if (shown === undefined)
    return {
      decision: null,
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      explanation: outcome.explanation,
    };
  const { decision, content } = shown;
  return {
    decision: {
      action: decision.action,
      channel,
      content,
      decisionId: decision.decisionId,
      explanation: decision.explanation,
      factors: decision.factors,
    },
    explanation: outcome.explanation,
  };
}

/** What a customer erased lately is answered: nothing to show, nothing written. */
const ERASED: DecideResponse = {
  decision: null,
  reason: 'customer_erased',
  explanation: 'Nothing is shown: this customer’s data was erased at their request.',
};

/**
 * Answers one pull request: reads the policy (cached), the customer's state and caps, decides,
 * and counts the impression with one conditional write (the caps item and the decision). A
 * version conflict reads the caps again and decides again; nothing shown writes nothing. A
 * customer without state whose erasure tombstone is there gets no offer and no item: an
 * impression would recreate their partition after the erasure.
 */
export async function answerPull(
  request: PullRequest,
  dependencies: PullDependencies = REAL_PULL_DEPENDENCIES,
): Promise<DecideResponse> {
  const { tenantId } = request;
  const policy = await loadDecisionPolicy(tenantId);
  let customer = await readCustomer(tenantId, request.customerId);
  const asked: PullRequest = { ...request, customerId: customer.customerId };
  const ref = customerRef(tenantId, customer.customerId);
  if (customer.state === undefined && (await loadTombstone(tenantId, customer.customerId)) !== undefined) {
    logger.debug('pull for an erased customer', { tenantId, customerRef: ref });
    return ERASED;
  }
  for (let attempt = 1; ; attempt += 1) {
    const outcome = decideForPlacement(asked, customer.state, policy, customer.history, dependencies.now());
    const { shown } = outcome;
    try {
      if (shown !== undefined && outcome.counted)
        await saveImpression(
          tenantId,
          asked.customerId,
          outcome.history,
          shown.decision,
          policy.retentionDays,
        );
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        logger.warn('pull gave up after version conflicts', {
          tenantId,
          customerRef: ref,
          attempts: attempt,
        });
        throw new RetryableError('the customer’s caps kept changing', { cause: error });
      }
      await dependencies.backoff(attempt + 1);
      customer = { ...customer, history: await loadCapsHistory(tenantId, customer.customerId) };
      continue;
    }
    logger.debug('pull decided', {
      tenantId,
      customerRef: ref,
      placement: asked.placement,
      channel: asked.channel,
      action: shown?.decision.action,
      reason: outcome.reason,
      attempt,
    });
    return responseOf(outcome, asked.channel);
  }
}
