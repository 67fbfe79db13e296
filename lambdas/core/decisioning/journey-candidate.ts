import type { ActionIntent } from '../engine.js';
import type { JourneyMetric } from '../journey-runtime.js';
import type { Candidate } from './decide.js';

/**
 * A journey's action intent as a decisioning candidate: its id becomes the decision id, its
 * journey step the source. `event` is the triggering call (templates read its properties).
 */
export function candidateOf(intent: ActionIntent, event: Record<string, unknown> | undefined): Candidate {
  return {
    decisionId: intent.actionId,
    action: intent.action,
    source: {
      kind: 'journey',
      journeyId: intent.journeyId,
      version: intent.journeyVersion,
      ...(intent.stepId === undefined ? {} : { stepId: intent.stepId }),
      ...(intent.instanceId === undefined ? {} : { instanceId: intent.instanceId }),
    },
    trigger: intent.triggeredBy,
    channel: intent.channel,
    payload: intent.payload,
    ...(intent.priority === undefined ? {} : { priority: intent.priority }),
    ...(intent.purpose === undefined ? {} : { purpose: intent.purpose }),
    ...(event === undefined ? {} : { event }),
  };
}

/** An action intent decisioning did not send, and why. */
export interface SuppressedIntent {
  intent: ActionIntent;
  reason: string;
}

/**
 * The engine counts an `action` metric for every action intent, before decisioning: each
 * suppressed intent turns one `action` metric of its journey step into `suppressed` with the
 * reason, so journey metrics count what was actually sent.
 */
export function withSuppressions(
  metrics: readonly JourneyMetric[],
  suppressed: readonly SuppressedIntent[],
): JourneyMetric[] {
  const corrected = [...metrics];
  for (const { intent, reason } of suppressed) {
    const at = corrected.findIndex(
      (metric) =>
        metric.name === 'action' &&
        metric.journeyId === intent.journeyId &&
        metric.version === intent.journeyVersion &&
        metric.stepId === intent.stepId,
    );
    const metric = corrected[at];
    if (metric !== undefined) corrected[at] = { ...metric, name: 'suppressed', reason };
  }
  return corrected;
}
