/**
 * The physical layout of Écoute's DynamoDB tables and Kinesis stream: one description shared
 * by the CDK stack (lib/), the local provisioning script and the adapters, so that the three
 * can never disagree about a key name or an index.
 */

/** Generic key attribute names: every table uses a string partition key and sort key. */
export const KEY = { partition: 'pk', sort: 'sk' } as const;

/**
 * Config table: tenants, write keys (stored as SHA-256 hashes) and published journeys.
 * - tenant profile: pk `TENANT#<tenantId>`, sk `PROFILE`
 * - write key:      pk `WRITEKEY#<sha256(key)>`, sk `WRITEKEY`
 * - journey:        pk `TENANT#<tenantId>`, sk `JOURNEY#<journeyId>`
 * - event quota:    pk `QUOTA#<tenantId>`, sk `SECOND#<epoch second>`: the calls accepted in that
 *                   second (`count`), removed by TTL (`expiresAt`)
 */
export const CONFIG_TABLE = {
  logicalName: 'ConfigTable',
  defaultName: 'ecoute-config',
  /** Rate-limit counters expire by TTL a minute after their window. */
  timeToLiveAttribute: 'expiresAt',
  /** Partition key prefix of the rate-limit counters: the only items the ingest function writes. */
  quotaKeyPrefix: 'QUOTA#',
} as const;

/**
 * Customers table: per-customer state and the action outbox, under one partition key per
 * customer (`<tenantId>#<customerId>`), so a customer's whole footprint is one Query away
 * (export and erasure rely on that).
 * - state:  sk `STATE`, the hot item (written on every write, under the optimistic `version`), and
 *           `STATE#<part>` items written only when their part changed (customer-state-items.ts);
 *           one Query `begins_with(sk, 'STATE')` reads them all. An older single `STATE` item
 *           (`state`: the whole state as JSON text) still loads and is split on its next write.
 * - action: sk `ACTION#<actionId>` (deterministic: an action is written once)
 * - timer:  sk `TIMER#<timerId>`: a pending journey wait (`timer`, `dueAt`; `timerQueue` until it
 *           fires, `firedAt` after), deleted by the processor when it applies the timer's
 *           record, by TTL (`expiresAt` = dueAt + 7 days) otherwise
 * - consent history: sk `CONSENT#<at>#<changeId>`, append-only (schemas/consent.ts), written by
 *           the processor in the state's write
 * - decision: sk `DECISION#<decidedAt>#<decisionId>` (schemas/decision.ts), taken or suppressed,
 *           by the processor (push) and the decision API (pull); TTL = tenant retention
 * - caps:   sk `CAPS`: the customer's recent sends and impressions counted by frequency caps,
 *           versioned, written by the processor and the decision API under a condition
 * - erasure tombstone: pk `ERASED#<salted hash of tenant#customer>`, sk `ERASED`: holds no
 *           personal data; records for that customer received before the erasure are dropped
 * - erasure receipt: the tombstone's pk, sk `REQUEST#<erasureId>`: an erasure was asked for
 *           (a status tells a pending erasure from an unknown id); TTL = the tombstone's life
 *
 * The table's stream (NEW_IMAGE) feeds the dispatcher with newly written actions: the outbox
 * pattern, so an action is delivered if and only if the state change that produced it was
 * committed.
 *
 * The sparse index `delivery-queue` holds only actions waiting for a delivery retry
 * (`queue` = `retry#<bucket>`) or dead-lettered after the last attempt (`queue` = `dead`),
 * ordered by `queuedAt`; the sweeper reads due retries from it without scanning the table.
 *
 * The sparse index `timer-due` holds only timers that have not fired yet (`timerQueue` =
 * `timers#<bucket>`), ordered by `dueAt`; the sweeper reads due timers from it, bucket by
 * bucket, and takes a timer out of it (REMOVE `timerQueue`) once its record is in the stream.
 */
export const CUSTOMERS_TABLE = {
  logicalName: 'CustomersTable',
  defaultName: 'ecoute-customers',
  deliveryQueueIndex: {
    name: 'delivery-queue',
    partitionKey: 'queue',
    sortKey: 'queuedAt',
  },
  /** Retries are spread over a few index partitions so that a burst of failures is not one hot key. */
  retryBuckets: 4,
  timerDueIndex: {
    name: 'timer-due',
    partitionKey: 'timerQueue',
    sortKey: 'dueAt',
    /** Everything the sweeper puts in a timer's stream record, so it never reads the table. */
    projectedAttributes: ['timer'],
  },
  /**
   * Pending timers are spread over this many index partitions by a hash of their id: millions of
   * waits ending at the same minute (a campaign) are 16 keys swept side by side, not one hot key.
   */
  timerBuckets: 16,
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * Every attribute of the items the decision API writes (the `CAPS` item and a `DECISION#` item):
 * its IAM policy allows writing these and no other, so it can never write a customer's `STATE`,
 * an action or a timer.
 */
export const IMPRESSION_ATTRIBUTES = ['pk', 'sk', 'version', 'entries', 'decision', 'expiresAt'] as const;

/** The partition prefix of tombstones and erasure receipts (a salted hash follows it). */
export const ERASED_KEY_PREFIX = 'ERASED#';

/**
 * Every attribute of an erasure receipt: the APIs that take erasure requests may write items under
 * ERASED_KEY_PREFIX with these attributes and nothing else.
 */
export const ERASURE_RECEIPT_ATTRIBUTES = ['pk', 'sk', 'requestedAt', 'expiresAt'] as const;

export const EVENTS_STREAM = {
  logicalName: 'EventsStream',
  defaultName: 'ecoute-events',
  /** Only used where on-demand capacity does not exist (the local emulators). */
  localShardCount: 2,
} as const;

export const retryQueue = (bucket: number): string => `retry#${bucket}`;
export const DEAD_LETTER_QUEUE = 'dead';
export const timerQueue = (bucket: number): string => `timers#${bucket}`;
