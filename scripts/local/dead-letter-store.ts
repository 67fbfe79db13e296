import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DeadLetteredBatch } from './batch-retries.js';

export interface DeadLetter {
  source: string;
  reason: string;
  attempts: number;
  deadLetteredAt: string;
  firstId: string;
  lastId: string;
  /** The records themselves (Lambda's on-failure destination only names the range; here they are kept). */
  records: unknown[];
}

/**
 * The local stand-in for the event source mappings' on-failure SQS destination: each failed
 * batch becomes one JSON file under `<dataDir>/dead-letters/`, and stays listable in memory.
 */
export class LocalDeadLetterStore {
  readonly entries: DeadLetter[] = [];
  private readonly directory: string;

  constructor(dataDir: string) {
    this.directory = path.join(dataDir, 'dead-letters');
  }

  sink<R>(source: string, idOf: (record: R) => string) {
    return async (failed: DeadLetteredBatch<R>): Promise<void> => {
      const entry: DeadLetter = {
        source,
        reason: failed.reason,
        attempts: failed.attempts,
        deadLetteredAt: new Date().toISOString(),
        firstId: idOf(failed.records[0] as R),
        lastId: idOf(failed.records[failed.records.length - 1] as R),
        records: failed.records,
      };
      this.entries.push(entry);
      mkdirSync(this.directory, { recursive: true });
      writeFileSync(
        path.join(this.directory, `${Date.now()}-${entry.firstId}.json`),
        JSON.stringify(entry, null, 2),
      );
    };
  }
}
