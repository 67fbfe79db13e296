import type { Decision } from '../../../schemas/decision.js';

/**
 * Why something was done, said to the customer. A decision's own explanation of a suppression is
 * already addressed to them ("You dismissed … recently"); that of a taken decision is for the
 * business (its rank and score), so the customer reads what was done instead.
 */
function plainWordsOf(decision: Decision): string {
  if (decision.outcome !== 'taken') return decision.explanation;
  const where = decision.channel === undefined ? '' : ` on ${decision.channel}`;
  const what = decision.source.kind === 'placement' ? 'showed you' : 'sent you';
  return `We ${what} "${decision.action}"${where}: it was what suited you best at that moment.`;
}

/**
 * A decision as its customer sees it: what was done or held back, when, on which channel, and
 * why in plain words; never the scores, rules or other internals.
 */
export function customerViewOf(decision: Decision) {
  return {
    decidedAt: decision.decidedAt,
    outcome: decision.outcome,
    action: decision.action,
    ...(decision.channel === undefined ? {} : { channel: decision.channel }),
    explanation: plainWordsOf(decision),
  };
}
