import {
  type BatchResponse,
  type DeadLetteredBatch,
  invokeWithRetries,
  type RetrySettings,
} from './batch-retries.js';

/** What the poller needs from a stream service: Kinesis and DynamoDB Streams both fit. */
export interface ShardedStream<R> {
  describe: string;
  listShardIds(): Promise<string[]>;
  /** An iterator just after `sequenceNumber`, or at the oldest retained record without one. */
  iteratorAfter(shardId: string, sequenceNumber: string | undefined): Promise<string>;
  read(
    iterator: string,
    limit: number,
    shardId: string,
  ): Promise<{ records: R[]; nextIterator: string | undefined }>;
  /** The identifier a function names in `batchItemFailures` (the sequence number). */
  idOf(record: R): string;
}

const ROUTINE_ITERATOR_ERRORS = new Set(['TrimmedDataAccessException', 'ExpiredIteratorException']);

export interface PollerSettings extends RetrySettings {
  batchSize: number;
  batchingWindowMs: number;
  /** Pause between reads of an idle shard. */
  idlePollMs: number;
  /** How often new shards are looked for. */
  shardDiscoveryMs: number;
}

/**
 * A local stand-in for Lambda's stream event source mapping: one loop per shard reads records
 * in order, gathers a batch (up to `batchSize`, or what arrived within `batchingWindowMs`),
 * invokes the function and applies Lambda's retry rules before moving on. Records the filter
 * rejects are dropped, as event filtering does.
 */
export class StreamPoller<R> {
  private running = false;
  private readonly shardLoops = new Map<string, Promise<void>>();
  private discovery: Promise<void> | undefined;

  constructor(
    private readonly stream: ShardedStream<R>,
    private readonly invoke: (records: R[]) => Promise<BatchResponse | undefined | null>,
    private readonly settings: PollerSettings,
    private readonly deadLetter: (failed: DeadLetteredBatch<R>) => Promise<void>,
    private readonly filter: (record: R) => boolean = () => true,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.discovery = this.discoverShards();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.discovery;
    await Promise.all(this.shardLoops.values());
  }

  private async discoverShards(): Promise<void> {
    while (this.running) {
      try {
        for (const shardId of await this.stream.listShardIds()) {
          if (!this.shardLoops.has(shardId)) this.shardLoops.set(shardId, this.pollShard(shardId));
        }
      } catch (error) {
        this.onError(error);
      }
      await this.sleep(this.settings.shardDiscoveryMs);
    }
  }

  private async pollShard(shardId: string): Promise<void> {
    let iterator: string | undefined;
    // Where to resume after an error: iterators expire, and a fresh one starts after the last
    // record handed to the function, like Lambda's checkpoint.
    let checkpoint: string | undefined;
    let closed = false;
    const buffer: R[] = [];
    while (this.running) {
      try {
        if (iterator === undefined && !closed) {
          buffer.length = 0;
          iterator = await this.stream.iteratorAfter(shardId, checkpoint);
        }
        if (iterator !== undefined) {
          const gathered = await this.gather(shardId, iterator, buffer);
          iterator = gathered.nextIterator;
          closed = iterator === undefined;
        }
        const taken = buffer.splice(0, this.settings.batchSize);
        const last = taken[taken.length - 1];
        const batch = taken.filter(this.filter);
        if (batch.length > 0) {
          await invokeWithRetries(
            batch,
            this.invoke,
            (record) => this.stream.idOf(record),
            this.settings,
            this.deadLetter,
          );
        }
        if (last !== undefined) checkpoint = this.stream.idOf(last);
        // A closed shard (no next iterator) is done once its last records are handled.
        if (closed && buffer.length === 0) return;
      } catch (error) {
        iterator = undefined;
        // DynamoDB Local invalidates an iterator taken on an empty shard once records arrive;
        // expired iterators are routine too. Both only need a fresh iterator.
        if (ROUTINE_ITERATOR_ERRORS.has((error as Error).name)) continue;
        this.onError(
          new Error(`${this.stream.describe} ${shardId}: ${(error as Error).message}`, { cause: error }),
        );
        await this.sleep(this.settings.idlePollMs * 5);
      }
    }
  }

  /** Reads until a full batch is buffered, the batching window closes, or the shard ends. */
  private async gather(
    shardId: string,
    iterator: string,
    buffer: R[],
  ): Promise<{ nextIterator: string | undefined }> {
    let current: string | undefined = iterator;
    let windowEnds: number | undefined;
    while (this.running && current !== undefined && buffer.length < this.settings.batchSize) {
      const { records, nextIterator } = await this.stream.read(
        current,
        this.settings.batchSize - buffer.length,
        shardId,
      );
      current = nextIterator;
      buffer.push(...records);
      if (buffer.length === 0) {
        await this.sleep(this.settings.idlePollMs);
        continue;
      }
      windowEnds ??= Date.now() + this.settings.batchingWindowMs;
      if (Date.now() >= windowEnds) break;
      if (records.length === 0) await this.sleep(Math.min(this.settings.idlePollMs, windowEnds - Date.now()));
    }
    return { nextIterator: current };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}
