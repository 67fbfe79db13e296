import {
  applyRecordsToCustomer,
  type CustomerOutcome,
  type PublishedJourneys,
  type SequencedRecord,
} from '../../../lambdas/core/engine.js';
import type { CustomerState, JourneyInstance } from '../../../schemas/customer-state.js';
import {
  type CallRecord,
  type StreamRecord,
  type TimerRecord,
  timerFiredRecord,
} from '../../../schemas/stream-record.js';
import type { Timer } from '../../../schemas/timer.js';

/**
 * Stream records for journey tests, shaped as ingest and the sweeper put them in the stream
 * (schemas/stream-record.ts), and a customer fed one record at a time as the processor would.
 */

export const TENANT = 'acme';

/** A Kinesis-like sequence number: 56 digits, far beyond Number.MAX_SAFE_INTEGER. */
export const KINESIS_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
export const seq = (n: number): string => (KINESIS_BASE + BigInt(n) * 1_000_000_000_000n).toString();

export const iso = (ms: number): string => new Date(ms).toISOString();
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function trackRecord(
  customerId: string,
  event: string,
  at: string,
  messageId: string,
  properties: Record<string, unknown> = {},
  timestamp = at,
): CallRecord {
  return {
    kind: 'call',
    tenantId: TENANT,
    customerId,
    receivedAt: at,
    call: {
      type: 'track',
      userId: customerId,
      event,
      properties,
      messageId,
      timestamp,
      receivedAt: at,
      channel: 'web',
      context: {},
    },
  };
}

export function identifyRecord(
  customerId: string,
  traits: Record<string, unknown>,
  at: string,
  messageId: string,
): CallRecord {
  return {
    kind: 'call',
    tenantId: TENANT,
    customerId,
    receivedAt: at,
    call: {
      type: 'identify',
      userId: customerId,
      traits,
      messageId,
      timestamp: at,
      receivedAt: at,
      channel: 'web',
      context: {},
    },
  };
}

/** What the sweeper puts in the stream when a timer is due: `at` is when it put it (≥ dueAt). */
export function timerRecord(timer: Timer, at: string = timer.dueAt): TimerRecord {
  return timerFiredRecord(timer, at);
}

/**
 * One customer, fed one record at a time in stream order (each its own batch), with the timers
 * that are set and not cancelled, as the timer items in the table would be.
 */
export class CustomerHarness {
  state: CustomerState | undefined;
  readonly liveTimers = new Map<string, Timer>();
  readonly records: SequencedRecord[] = [];
  private position = 0;

  constructor(
    private readonly journeys: PublishedJourneys,
    readonly customerId = 'claire',
  ) {}

  apply(record: StreamRecord): CustomerOutcome {
    this.position += 1;
    const sequenced = { sequenceNumber: seq(this.position), record };
    this.records.push(sequenced);
    const outcome = applyRecordsToCustomer(this.state, [sequenced], this.journeys);
    this.state = outcome.state;
    for (const timer of outcome.timers.set) this.liveTimers.set(timer.timerId, timer);
    for (const timerId of outcome.timers.cancel) this.liveTimers.delete(timerId);
    return outcome;
  }

  nextMessageId(): string {
    return `${this.customerId}-m${this.position + 1}`;
  }

  track(event: string, at: number | string, properties: Record<string, unknown> = {}): CustomerOutcome {
    const when = typeof at === 'number' ? iso(at) : at;
    return this.apply(trackRecord(this.customerId, event, when, this.nextMessageId(), properties));
  }

  identify(traits: Record<string, unknown>, at: number | string): CustomerOutcome {
    const when = typeof at === 'number' ? iso(at) : at;
    return this.apply(identifyRecord(this.customerId, traits, when, this.nextMessageId()));
  }

  /** The sweeper firing `timer`, by default exactly at its due time. */
  fire(timer: Timer, at: number | string = timer.dueAt): CustomerOutcome {
    return this.apply(timerRecord(timer, typeof at === 'number' ? iso(at) : at));
  }

  /** The one live timer: most tests have a single instance waiting. */
  onlyTimer(): Timer {
    const timers = [...this.liveTimers.values()];
    if (timers.length !== 1) throw new Error(`expected one live timer, found ${timers.length}`);
    return timers[0] as Timer;
  }

  instancesOf(journeyId: string): JourneyInstance[] {
    return Object.values(this.state?.instances ?? {}).filter((instance) => instance.journeyId === journeyId);
  }
}
