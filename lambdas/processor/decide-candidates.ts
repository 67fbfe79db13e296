import type { CapsHistory } from '../../schemas/decisioning.js';
import type { StreamRecord } from '../../schemas/stream-record.js';
import type { ExtraWrite } from '../adapters/customer-store.js';
import { capsHistoryWrite, decisionWrite, loadCapsHistory } from '../adapters/decision-items.js';
import { loadDecisionPolicy } from '../adapters/decision-policy-store.js';
import { pushMoment, withEntries } from '../core/decisioning/caps-history.js';
import { decide } from '../core/decisioning/decide.js';
import { type FeedbackEvent, feedbackEntries, isFeedbackEvent } from '../core/decisioning/feedback.js';
import { candidateOf, type SuppressedIntent } from '../core/decisioning/journey-candidate.js';
import type { DecisionPolicy } from '../core/decisioning/policy.js';
import type { ActionIntent, CustomerOutcome, SequencedRecord } from '../core/engine.js';

/**
 * The processor's decisioning post-pass: the engine's action intents are candidates; those of
 * one cause (the triggering message) compete at that cause's moment (`decide`), and feedback
 * events update the customer's caps history. What it returns goes into the customer's write, with
 * the tenant's retention for the actions written.
 */

/** Items a slice's decisioning may add to the write: a decision per intent, and the caps item. */
export const decisionItemsBound = (outcome: Pick<CustomerOutcome, 'actions'>) => outcome.actions.length + 1;

const sameEntries = (a: CapsHistory, b: CapsHistory) =>
  a.entries.length === b.entries.length && JSON.stringify(a.entries) === JSON.stringify(b.entries);

function feedbackOf(records: readonly SequencedRecord[], policy: DecisionPolicy): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  for (const { record } of records) {
    if (record.kind !== 'call' || record.call.type !== 'track') continue;
    const { event, messageId, timestamp, properties } = record.call;
    if (isFeedbackEvent(event, policy)) events.push({ event, messageId, timestamp, properties });
  }
  return events;
}

function eventsByMessageId(
  records: readonly SequencedRecord[],
): Map<string, StreamRecord & { kind: 'call' }> {
  const byId = new Map<string, StreamRecord & { kind: 'call' }>();
  for (const { record } of records) if (record.kind === 'call') byId.set(record.call.messageId, record);
  return byId;
}

/**
 * Decides one customer's candidates slice by slice. The caps item is read once, only when a
 * slice has candidates or feedback, and carried from slice to slice in memory: a failed write
 * throws, and the retry starts from a fresh read with a new instance.
 */
export function customerDecisions(tenantId: string, customerId: string) {
  let history: CapsHistory | undefined;
  return {
    async decide(
      outcome: CustomerOutcome,
      records: readonly SequencedRecord[],
    ): Promise<{
      actions: ActionIntent[];
      suppressed: SuppressedIntent[];
      extraWrites: ExtraWrite[];
      retentionDays: number;
    }> {
      const policy = await loadDecisionPolicy(tenantId);
      const { retentionDays } = policy;
      const feedback = feedbackOf(records, policy);
      if (outcome.actions.length === 0 && feedback.length === 0)
        return { actions: [], suppressed: [], extraWrites: [], retentionDays };
      history ??= await loadCapsHistory(tenantId, customerId);
      const read = history;
      let current = withEntries(
        read,
        feedbackEntries(feedback, policy, read),
        Date.parse(outcome.state.lastSeenAt),
      );
      const byCause = new Map<string, ActionIntent[]>();
      for (const intent of outcome.actions) {
        const group = byCause.get(intent.triggeredBy.messageId) ?? [];
        group.push(intent);
        byCause.set(intent.triggeredBy.messageId, group);
      }
      const calls = eventsByMessageId(records);
      const actions: ActionIntent[] = [];
      const suppressed: SuppressedIntent[] = [];
      const extraWrites: ExtraWrite[] = [];
      const context = { tenantId, customerId, state: outcome.state };
      for (const [causeId, intents] of byCause) {
        const call = calls.get(causeId)?.call;
        const event = call === undefined ? undefined : (call as unknown as Record<string, unknown>);
        const byId = new Map(intents.map((intent) => [intent.actionId, intent]));
        const now = pushMoment(
          current,
          new Set(byId.keys()),
          Date.parse(intents[0]?.firedAt ?? outcome.state.lastSeenAt),
        );
        const result = decide(
          intents.map((intent) => candidateOf(intent, event)),
          context,
          policy,
          current,
          now,
        );
        current = result.history;
        for (const decision of result.decisions) {
          extraWrites.push(decisionWrite(decision, retentionDays));
          const intent = byId.get(decision.decisionId);
          if (decision.outcome === 'suppressed' && intent !== undefined)
            suppressed.push({ intent, reason: decision.reason ?? 'suppressed' });
        }
        for (const taken of result.taken) {
          const intent = byId.get(taken.candidate.decisionId);
          if (intent === undefined) continue;
          const inCatalog = policy.catalog.has(intent.action);
          actions.push({
            ...intent,
            channel: taken.channel,
            payload: taken.payload,
            ...(inCatalog ? { purpose: taken.purpose } : {}),
            ...(taken.deliverAt === undefined ? {} : { deliverAt: new Date(taken.deliverAt).toISOString() }),
          });
        }
      }
      // Nothing sent and nothing fed back: the item stays as it is, which costs no write. The
      // decisions still hold without its version check: other writers only ever add sends and
      // feedback, which never turn a suppression into a send.
      if (!sameEntries(read, current)) {
        extraWrites.push(capsHistoryWrite(tenantId, customerId, current));
        history = { ...current, version: read.version + 1 };
      }
      return { actions, suppressed, extraWrites, retentionDays };
    },
  };
}
