import { Slug } from '../../../schemas/common.js';
import type { CapsHistory, HistoryEntry } from '../../../schemas/decisioning.js';
import { actionOfSend } from './caps-history.js';
import type { DecisionPolicy } from './policy.js';

/** A tracked event, as far as feedback cares. */
export interface FeedbackEvent {
  event: string;
  messageId: string;
  timestamp: string;
  properties: Readonly<Record<string, unknown>>;
}

const FEEDBACK_KINDS = {
  action_viewed: 'viewed',
  action_clicked: 'clicked',
  action_dismissed: 'dismissed',
} as const;

/**
 * What feedback events add to a customer's caps history: `action_viewed`, `action_clicked` and
 * `action_dismissed` (with `properties.actionId`, the fired action's id, or `properties.action`,
 * the catalog id) and the conversion events of catalog actions. Keyed by the event's message id,
 * so a replayed event adds nothing. An action id the history does not know is ignored.
 */
export function feedbackEntries(
  events: readonly FeedbackEvent[],
  policy: DecisionPolicy,
  history: CapsHistory,
): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const call of events) {
    const kind = FEEDBACK_KINDS[call.event as keyof typeof FEEDBACK_KINDS];
    if (kind !== undefined) {
      const { actionId, action: named } = call.properties;
      const fromSend = typeof actionId === 'string' ? actionOfSend(history, actionId) : undefined;
      const action = fromSend ?? (Slug.safeParse(named).success ? (named as string) : undefined);
      if (action !== undefined) entries.push({ kind, id: call.messageId, action, at: call.timestamp });
    }
    for (const action of policy.conversionsByEvent.get(call.event) ?? [])
      entries.push({ kind: 'converted', id: call.messageId, action, at: call.timestamp });
  }
  return entries;
}

/** Whether an event can change a caps history: the processor reads the caps item only then. */
export const isFeedbackEvent = (event: string, policy: DecisionPolicy) =>
  event in FEEDBACK_KINDS || policy.conversionsByEvent.has(event);
