import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchResponse,
  type DeadLetteredBatch,
  invokeWithRetries,
  type RetrySettings,
} from '../../scripts/local/batch-retries.js';

interface Rec {
  id: string;
}

const recs = (...ids: string[]): Rec[] => ids.map((id) => ({ id }));
const idOf = (record: Rec) => record.id;
const settings = (overrides: Partial<RetrySettings> = {}): RetrySettings => ({
  maxRetryAttempts: 3,
  bisectOnError: false,
  retryDelayMs: 0,
  ...overrides,
});

/**
 * A fake function that records every batch it was given and answers with `respond`;
 * dead-lettered batches are collected too.
 */
function harness(respond: (records: Rec[], call: number) => BatchResponse | undefined | null) {
  const calls: string[][] = [];
  const deadLetters: DeadLetteredBatch<Rec>[] = [];
  const invoke = async (records: Rec[]) => {
    calls.push(records.map(idOf));
    return respond(records, calls.length);
  };
  const deadLetter = async (failed: DeadLetteredBatch<Rec>) => {
    deadLetters.push(failed);
  };
  const run = (batch: Rec[], retry: RetrySettings = settings()) =>
    invokeWithRetries(batch, invoke, idOf, retry, deadLetter);
  return { calls, deadLetters, run };
}

const failing = (...ids: string[]): BatchResponse => ({
  batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })),
});

describe('invokeWithRetries', () => {
  it('invokes once when the function succeeds, whatever empty answer it gives', async () => {
    for (const answer of [undefined, null, {}, { batchItemFailures: [] }]) {
      const { calls, deadLetters, run } = harness(() => answer);
      await run(recs('a', 'b', 'c'));
      expect(calls).toEqual([['a', 'b', 'c']]);
      expect(deadLetters).toEqual([]);
    }
  });

  it('does not invoke the function for an empty batch', async () => {
    const { calls, run } = harness(() => undefined);
    await run([]);
    expect(calls).toEqual([]);
  });

  it('retries a partial failure from the lowest failed record, without resending earlier ones', async () => {
    const { calls, deadLetters, run } = harness((_, call) => (call === 1 ? failing('d', 'b') : undefined));
    await run(recs('a', 'b', 'c', 'd', 'e'));
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['b', 'c', 'd', 'e'],
    ]);
    expect(deadLetters).toEqual([]);
  });

  it('retries the whole batch when a reported identifier names no record of it', async () => {
    const { calls, run } = harness((_, call) => (call === 1 ? failing('not-in-batch') : undefined));
    await run(recs('a', 'b', 'c'));
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('retries the whole batch after a thrown error when bisect is off', async () => {
    const { calls, run } = harness((_, call) => {
      if (call === 1) throw new Error('timeout');
      return undefined;
    });
    await run(recs('a', 'b', 'c', 'd'));
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'b', 'c', 'd'],
    ]);
  });

  it('splits the batch in halves after a thrown error when bisect is on, the first half taking the odd one', async () => {
    const { calls, run } = harness((_, call) => {
      if (call === 1) throw new Error('timeout');
      return undefined;
    });
    await run(recs('a', 'b', 'c', 'd', 'e'), settings({ bisectOnError: true }));
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('with bisect, splits the records from the lowest failed one in halves after a partial failure', async () => {
    const { calls, run } = harness((_, call) => (call === 1 ? failing('b') : undefined));
    await run(recs('a', 'b', 'c', 'd'), settings({ bisectOnError: true }));
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'c'], ['d']]);
  });

  it('dead-letters a poison record reported as failed after exactly maxRetryAttempts retries, past the healthy ones', async () => {
    const delivered: string[] = [];
    const { calls, deadLetters, run } = harness((records) => {
      // Each record is processed on its own; the poison one always fails.
      for (const { id } of records) if (id !== 'poison') delivered.push(id);
      return records.some((record) => record.id === 'poison') ? failing('poison') : undefined;
    });
    await run(recs('a', 'b', 'poison', 'c', 'd'), settings({ maxRetryAttempts: 2 }));

    expect(calls.filter((batch) => batch.includes('poison'))).toHaveLength(1 + 2);
    expect(calls.slice(1).every((batch) => batch[0] === 'poison')).toBe(true);
    // Without bisect, Lambda cannot tell the records after the poison one from it.
    expect(deadLetters).toEqual([
      { records: recs('poison', 'c', 'd'), reason: 'function reported 1 failed record(s)', attempts: 3 },
    ]);
    expect(delivered.filter((id) => id === 'a' || id === 'b')).toEqual(['a', 'b']);
    expect(delivered).toContain('c');
    expect(delivered).toContain('d');
  });

  it('with bisect, dead-letters a reported poison record alone after maxRetryAttempts retries and delivers the rest', async () => {
    const { calls, deadLetters, run } = harness((records) =>
      records.some((record) => record.id === 'poison') ? failing('poison') : undefined,
    );
    await run(recs('a', 'b', 'poison', 'c', 'd'), settings({ maxRetryAttempts: 2, bisectOnError: true }));

    expect(calls).toEqual([
      ['a', 'b', 'poison', 'c', 'd'],
      ['poison', 'c'],
      ['poison'],
      ['poison'],
      ['poison'],
      ['c'],
      ['d'],
    ]);
    expect(deadLetters).toEqual([
      { records: recs('poison'), reason: 'function reported 1 failed record(s)', attempts: 3 },
    ]);
  });

  it('with bisect, isolates a poison record that makes the function throw, halving without using up retries', async () => {
    const { calls, deadLetters, run } = harness((records) => {
      if (records.some((record) => record.id === 'poison')) throw new Error('cannot parse poison');
      return undefined;
    });
    await run(recs('a', 'b', 'poison', 'c', 'd'), settings({ maxRetryAttempts: 2, bisectOnError: true }));

    expect(calls).toEqual([
      ['a', 'b', 'poison', 'c', 'd'],
      ['a', 'b', 'poison'],
      ['a', 'b'],
      ['poison'],
      ['poison'],
      ['poison'],
      ['c', 'd'],
    ]);
    expect(deadLetters).toEqual([
      { records: recs('poison'), reason: 'function error: cannot parse poison', attempts: 3 },
    ]);
  });

  it('with bisect, dead-letters every record of a batch that always fails on its own, in order', async () => {
    const { calls, deadLetters, run } = harness(() => {
      throw new Error('down');
    });
    await run(recs('a', 'b', 'c'), settings({ maxRetryAttempts: 1, bisectOnError: true }));
    expect(deadLetters.map((failed) => failed.records.map(idOf))).toEqual([['a'], ['b'], ['c']]);
    expect(deadLetters.every((failed) => failed.attempts === 2)).toBe(true);
    for (const id of ['a', 'b', 'c']) {
      expect(calls.filter((batch) => batch.length === 1 && batch[0] === id)).toHaveLength(2);
    }
  });

  it('with bisect, either checkpoints or dead-letters each record, and dead-letters exactly the poison ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        async (poisonFlags, throws, maxRetryAttempts) => {
          const batch = poisonFlags.map((_, i) => ({ id: `r${i}` }));
          const poison = new Set(batch.filter((_, i) => poisonFlags[i]).map(idOf));
          const checkpointed = new Set<string>();
          const { deadLetters, run } = harness((records) => {
            const firstBad = records.findIndex((record) => poison.has(record.id));
            // Records before the first failure are done whatever happens to the rest.
            for (const record of firstBad === -1 ? records : records.slice(0, firstBad)) {
              checkpointed.add(record.id);
            }
            if (firstBad === -1) return undefined;
            if (throws) throw new Error('poison');
            return failing(...records.filter((record) => poison.has(record.id)).map(idOf));
          });
          await run(batch, settings({ maxRetryAttempts, bisectOnError: true }));

          const deadLettered = deadLetters.flatMap((failed) => failed.records.map(idOf));
          expect(deadLettered).toEqual([...poison]);
          expect(deadLetters.every((failed) => failed.attempts === maxRetryAttempts + 1)).toBe(true);
          for (const { id } of batch) expect(checkpointed.has(id) || poison.has(id)).toBe(true);
        },
      ),
    );
  });

  it('dead-letters the whole batch with the error after maxRetryAttempts retries when bisect is off', async () => {
    const { calls, deadLetters, run } = harness(() => {
      throw new Error('downstream unavailable');
    });
    await run(recs('a', 'b'), settings({ maxRetryAttempts: 3 }));
    expect(calls).toHaveLength(1 + 3);
    expect(deadLetters).toEqual([
      { records: recs('a', 'b'), reason: 'function error: downstream unavailable', attempts: 4 },
    ]);
  });

  it('dead-letters at the first failure when no retries are allowed', async () => {
    const { calls, deadLetters, run } = harness(() => failing('b'));
    await run(recs('a', 'b', 'c'), settings({ maxRetryAttempts: 0 }));
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(deadLetters).toEqual([
      { records: recs('b', 'c'), reason: 'function reported 1 failed record(s)', attempts: 1 },
    ]);
  });

  it('waits retryDelayMs before each retry', async () => {
    const started: number[] = [];
    const invoke = async () => {
      started.push(performance.now());
      return started.length === 1 ? failing('a') : undefined;
    };
    await invokeWithRetries(recs('a'), invoke, idOf, settings({ retryDelayMs: 30 }), async () => {});
    expect(started).toHaveLength(2);
    expect((started[1] ?? 0) - (started[0] ?? 0)).toBeGreaterThanOrEqual(25);
  });
});
