import type { KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import pMap from 'p-map';
import type { CustomerState } from '../../schemas/customer-state.js';
import { StreamRecord } from '../../schemas/stream-record.js';
import { loadPublishedJourneys } from '../adapters/config-store.js';
import { consentHistoryWrites } from '../adapters/consent-store.js';
import {
  itemsInWrite,
  loadCustomerState,
  MAX_ITEMS_PER_WRITE,
  saveCustomerOutcome,
} from '../adapters/customer-store.js';
import { loadTombstone } from '../adapters/erasure-store.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import { logger } from '../adapters/logger.js';
import type { JourneyCounts } from '../adapters/metrics.js';
import { withSuppressions } from '../core/decisioning/journey-candidate.js';
import {
  applyRecordsToCustomer,
  type CustomerOutcome,
  type DedupeMode,
  type SequencedRecord,
} from '../core/engine.js';
import { VersionConflictError } from '../core/errors.js';
import { customerRef } from '../core/ids.js';
import { cancelWithdrawnActions } from './cancel-withdrawn-actions.js';
import { customerDecisions, decisionItemsBound } from './decide-candidates.js';
import { eraseCustomer, isEraseRedelivery, receivedAfter } from './erase-customer.js';
import { type CommittedMetrics, countJourneyMetrics } from './journey-counts.js';
import { firstSliceThatFits } from './slice-to-fit.js';

/** Different customers are independent: overlap their reads and writes. */
const CONCURRENT_CUSTOMERS = 8;
/** A version conflict means another writer overlapped (rare, see ARCHITECTURE.md): read again, retry. */
const CONFLICT_RETRIES = 3;

export interface BatchSummary {
  customers: number;
  applied: number;
  duplicates: number;
  actions: number;
  failed: number;
  /** Customers erased, and records dropped because their customer was erased after they were received. */
  erased: number;
  droppedAfterErasure: number;
  /**
   * Journey metric increments committed by this batch, as `<tenantId>/<journeyId>:<metric>` →
   * count (entered, action, waiting, goal…): logged with the batch (the handler publishes the
   * same counts, per tenant and A/B arm, as CloudWatch metrics: see `journeyCounts`). The tenant
   * is part of the key: a batch holds several tenants' records, and journey ids are only unique
   * within a tenant. An action suppressed by decisioning counts as
   * `<tenantId>/<journeyId>:suppressed:<reason>`, not `action` (`…:suppressed` alone is a holdout).
   */
  journeyMetrics: Record<string, number>;
}

type Decoded =
  | { ok: true; sequenced: SequencedRecord }
  | { ok: false; sequenceNumber: string; reason: string };

function decode(record: KinesisStreamRecord): Decoded {
  const sequenceNumber = record.kinesis.sequenceNumber;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
  } catch {
    return { ok: false, sequenceNumber, reason: 'record data is not JSON' };
  }
  const parsed = StreamRecord.safeParse(json);
  if (!parsed.success) {
    // Only paths and codes: the values may be personal data.
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.')}:${issue.code}`).join(', ');
    return { ok: false, sequenceNumber, reason: `record does not match the schema (${where})` };
  }
  return { ok: true, sequenced: { sequenceNumber, record: parsed.data } };
}

/**
 * Applies a Kinesis batch: records grouped by customer, each customer read once and written
 * once (conditionally) per batch. Returns the records that could not be applied; Lambda
 * retries from the lowest of them, and redelivered records change nothing. Also returns the
 * committed journey metrics counted per tenant, journey and A/B arm, for the metrics adapter.
 */
export async function processKinesisBatch(
  records: readonly KinesisStreamRecord[],
): Promise<KinesisStreamBatchResponse & { summary: BatchSummary; journeyCounts: JourneyCounts[] }> {
  const failed: string[] = [];
  const byCustomer = new Map<string, SequencedRecord[]>();
  for (const record of records) {
    const decoded = decode(record);
    if (!decoded.ok) {
      logger.error('poison record', { sequenceNumber: decoded.sequenceNumber, reason: decoded.reason });
      failed.push(decoded.sequenceNumber);
      continue;
    }
    const { tenantId, customerId } = decoded.sequenced.record;
    const key = `${tenantId}#${customerId}`;
    const group = byCustomer.get(key) ?? [];
    group.push(decoded.sequenced);
    byCustomer.set(key, group);
  }

  const summary: BatchSummary = {
    customers: byCustomer.size,
    applied: 0,
    duplicates: 0,
    actions: 0,
    failed: 0,
    erased: 0,
    droppedAfterErasure: 0,
    journeyMetrics: {},
  };
  const committed: CommittedMetrics[] = [];
  await pMap(
    byCustomer.values(),
    async (group) => {
      try {
        const result = await applyToCustomerWithRetry(group);
        summary.applied += result.applied;
        summary.duplicates += result.duplicates;
        summary.actions += result.actions;
        summary.erased += result.erased;
        summary.droppedAfterErasure += result.dropped;
        // A group holds one customer's records: one tenant.
        const tenantId = group[0]?.record.tenantId;
        if (tenantId === undefined) return;
        for (const metric of result.metrics) {
          const key = `${tenantId}/${metric.journeyId}:${metric.name}${metric.reason === undefined ? '' : `:${metric.reason}`}`;
          summary.journeyMetrics[key] = (summary.journeyMetrics[key] ?? 0) + 1;
        }
        committed.push({ tenantId, metrics: result.metrics });
      } catch (error) {
        const first = group[0]?.record;
        logger.error('customer batch failed', {
          tenantId: first?.tenantId,
          customerRef: first === undefined ? undefined : customerRef(first.tenantId, first.customerId),
          error: error as Error,
        });
        for (const { sequenceNumber } of group) failed.push(sequenceNumber);
      }
    },
    { concurrency: CONCURRENT_CUSTOMERS },
  );
  summary.failed = failed.length;
  return {
    batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })),
    summary,
    journeyCounts: countJourneyMetrics(committed),
  };
}

async function applyToCustomerWithRetry(group: SequencedRecord[]) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // After a conflict the stored watermark may belong to an overlapping writer's later records.
      return await applyToCustomer(group, attempt === 1 ? 'sequence-and-message-id' : 'message-id-only');
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt > CONFLICT_RETRIES) throw error;
    }
  }
}

/** Whether an outcome's transaction (state, actions, consent history, decisions and caps) fits in one write. */
const fitsInOneWrite = (outcome: CustomerOutcome) =>
  itemsInWrite(outcome.actions) + outcome.consent.history.length + decisionItemsBound(outcome) <=
  MAX_ITEMS_PER_WRITE;

/**
 * One read, then one write per customer, unless the records touch more items (state, actions,
 * timers set and cancelled) than one transaction holds: then the records are applied in slices,
 * each slice its own write. An `erase` record splits the group: what comes before it is applied
 * (and then erased with the rest), what comes after it is dropped if it was received at or
 * before the erasure, and applied to a fresh customer otherwise. A customer without state may
 * have been erased: records received at or before the tombstone's erasure time are dropped, and
 * timer records whenever they were received (see `receivedAfter`).
 */
async function applyToCustomer(group: SequencedRecord[], dedupe: DedupeMode) {
  const totals = {
    applied: 0,
    duplicates: 0,
    actions: 0,
    erased: 0,
    dropped: 0,
    metrics: [] as CustomerOutcome['metrics'],
  };
  const first = group[0];
  if (first === undefined) return totals;
  const { tenantId, customerId } = first.record;
  const journeys = await loadPublishedJourneys(tenantId);
  let state: CustomerState | undefined = await loadCustomerState(tenantId, customerId);
  let pending = group;
  if (state === undefined) {
    const tombstone = await loadTombstone(tenantId, customerId);
    if (tombstone !== undefined) pending = receivedAfter(group, tombstone.erasedAt);
    totals.dropped += group.length - pending.length;
  }
  while (pending.length > 0) {
    const eraseAt = pending.findIndex(({ record }) => record.kind === 'erase');
    const before = eraseAt === -1 ? pending : pending.slice(0, eraseAt);
    if (before.length > 0) state = await applyRecords(state, before, journeys, dedupe, totals);
    const erase = pending[eraseAt]?.record;
    if (erase?.kind !== 'erase') break;
    const after = pending.slice(eraseAt + 1);
    if (await isEraseRedelivery(state, erase)) {
      totals.duplicates += 1;
      pending = after;
      continue;
    }
    await eraseCustomer(state, erase, new Date());
    state = undefined;
    totals.erased += 1;
    pending = receivedAfter(after, erase.receivedAt);
    totals.dropped += after.length - pending.length;
  }
  return totals;
}

async function applyRecords(
  initial: CustomerState | undefined,
  records: SequencedRecord[],
  journeys: Awaited<ReturnType<typeof loadPublishedJourneys>>,
  dedupe: DedupeMode,
  totals: { applied: number; duplicates: number; actions: number; metrics: CustomerOutcome['metrics'] },
): Promise<CustomerState | undefined> {
  let state = initial;
  let remaining = records;
  const { tenantId, customerId } = records[0]?.record ?? { tenantId: '', customerId: '' };
  const decisions = customerDecisions(tenantId, customerId);
  while (remaining.length > 0) {
    const { take, outcome } = firstSliceThatFits(
      remaining.length,
      (count) => applyRecordsToCustomer(state, remaining.slice(0, count), journeys, dedupe),
      fitsInOneWrite,
    );
    // Forwards first: if the write below fails, the retry forwards again and the receiving
    // customer drops the repeat by its message id; the other order could lose them.
    if (outcome.forwards.length > 0) await putRecordsDurably(outcome.forwards);
    let actions = outcome.actions;
    let metrics = outcome.metrics;
    if (outcome.applied > 0) {
      // Next best action: the intents compete, caps and feedback are counted, decisions kept.
      const decided = await decisions.decide(outcome, remaining.slice(0, take));
      actions = decided.actions;
      metrics = withSuppressions(outcome.metrics, decided.suppressed);
      const history = consentHistoryWrites(tenantId, customerId, outcome.consent.history);
      state = await saveCustomerOutcome(
        state?.version,
        outcome.state,
        actions,
        outcome.timers,
        [...history, ...decided.extraWrites],
        decided.retentionDays,
      );
    }
    // After the write: the withdrawal is committed, so nothing fired later can slip past it.
    if (outcome.consent.withdrawn && state !== undefined)
      await cancelWithdrawnActions(state, journeys.consent.defaults, new Date());
    totals.applied += outcome.applied;
    totals.duplicates += outcome.duplicates;
    totals.actions += actions.length;
    totals.metrics.push(...metrics);
    remaining = remaining.slice(take);
  }
  return state;
}
