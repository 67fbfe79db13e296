/**
 * How Lambda's stream event source mapping treats the outcome of one invocation, for the local
 * host: a returned `batchItemFailures` list makes it retry from the lowest failed record (the
 * records before it count as done); a thrown error retries the whole batch, split in two when
 * `bisectOnError` is on; after `maxRetryAttempts` retries the records go to the on-failure
 * destination and the shard moves on.
 * (Lambda developer guide: "Configuring partial batch response with Kinesis Data Streams" and
 * "Error handling for Kinesis event sources".)
 */
export interface RetrySettings {
  maxRetryAttempts: number;
  bisectOnError: boolean;
  /** Pause before each retry, so a failing dependency gets a moment. */
  retryDelayMs: number;
}

export interface BatchResponse {
  batchItemFailures?: { itemIdentifier: string }[];
}

export interface DeadLetteredBatch<R> {
  records: R[];
  reason: string;
  attempts: number;
}

export async function invokeWithRetries<R>(
  batch: R[],
  invoke: (records: R[]) => Promise<BatchResponse | undefined | null>,
  idOf: (record: R) => string,
  settings: RetrySettings,
  deadLetter: (failed: DeadLetteredBatch<R>) => Promise<void>,
): Promise<void> {
  const run = async (records: R[], attempt: number): Promise<void> => {
    if (records.length === 0) return;
    let remaining: R[];
    let reason: string;
    let threw = false;
    try {
      const failures = (await invoke(records))?.batchItemFailures ?? [];
      if (failures.length === 0) return;
      const failedIds = new Set(failures.map((failure) => failure.itemIdentifier));
      const lowest = records.findIndex((record) => failedIds.has(idOf(record)));
      // An identifier that names no record of the batch fails the whole batch, as in Lambda.
      remaining = lowest === -1 ? records : records.slice(lowest);
      reason = `function reported ${failures.length} failed record(s)`;
    } catch (error) {
      threw = true;
      remaining = records;
      reason = `function error: ${(error as Error).message}`;
    }
    if (attempt > settings.maxRetryAttempts) {
      await deadLetter({ records: remaining, reason, attempts: attempt });
      return;
    }
    if (settings.retryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs));
    if (threw && settings.bisectOnError && remaining.length > 1) {
      const middle = Math.ceil(remaining.length / 2);
      await run(remaining.slice(0, middle), attempt + 1);
      await run(remaining.slice(middle), attempt + 1);
      return;
    }
    await run(remaining, attempt + 1);
  };
  await run(batch, 1);
}
