import type { Decision } from '../../../schemas/decision.js';

/**
 * A decision as its customer sees it: what was done or held back, when, on which channel, and
 * the decision's own plain-words explanation; never the scores, rules or other internals.
 */
export function customerViewOf(decision: Decision) {
  return {
    decidedAt: decision.decidedAt,
    outcome: decision.outcome,
    action: decision.action,
    ...(decision.channel === undefined ? {} : { channel: decision.channel }),
    explanation: decision.explanation,
  };
}
