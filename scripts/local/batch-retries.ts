/**
 * How Lambda's stream event source mapping treats the outcome of one invocation, for the local
 * host. A returned `batchItemFailures` list means the records before the lowest failed one are
 * done; a thrown error fails the whole batch. With `bisectOnError`, the failed records are split
 * in two and each half is tried on its own, which isolates a poison record without holding back
 * the healthy ones; halving does not use up retries. Once a failure cannot be split further,
 * it is retried `maxRetryAttempts` times, then its records go to the on-failure destination and
 * the shard moves on.
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
  /** Invocations of these records once they could not be split further, the first one counted. */
  attempts: number;
}

type Invoke<R> = (records: R[]) => Promise<BatchResponse | undefined | null>;

async function invokeOnce<R>(
  records: R[],
  invoke: Invoke<R>,
  idOf: (record: R) => string,
): Promise<{ failed: R[]; reason: string }> {
  try {
    const failures = (await invoke(records))?.batchItemFailures ?? [];
    if (failures.length === 0) return { failed: [], reason: '' };
    const failedIds = new Set(failures.map((failure) => failure.itemIdentifier));
    const lowest = records.findIndex((record) => failedIds.has(idOf(record)));
    // An identifier that names no record of the batch fails the whole batch, as in Lambda.
    return {
      failed: lowest === -1 ? records : records.slice(lowest),
      reason: `function reported ${failures.length} failed record(s)`,
    };
  } catch (error) {
    return { failed: records, reason: `function error: ${(error as Error).message}` };
  }
}

export async function invokeWithRetries<R>(
  batch: R[],
  invoke: Invoke<R>,
  idOf: (record: R) => string,
  settings: RetrySettings,
  deadLetter: (failed: DeadLetteredBatch<R>) => Promise<void>,
): Promise<void> {
  const run = async (records: R[], retriesUsed: number): Promise<void> => {
    if (records.length === 0) return;
    const { failed, reason } = await invokeOnce(records, invoke, idOf);
    if (failed.length === 0) return;
    if (settings.bisectOnError && failed.length > 1) {
      const middle = Math.ceil(failed.length / 2);
      await run(failed.slice(0, middle), retriesUsed);
      await run(failed.slice(middle), retriesUsed);
      return;
    }
    if (retriesUsed >= settings.maxRetryAttempts) {
      await deadLetter({ records: failed, reason, attempts: retriesUsed + 1 });
      return;
    }
    if (settings.retryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs));
    await run(failed, retriesUsed + 1);
  };
  await run(batch, 0);
}
