import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AuditEntry,
  AuditEntry as AuditEntrySchema,
  type JourneyDraft,
  type JourneyResource,
  JourneyResource as JourneyResourceSchema,
} from '../../schemas/config-api.js';
import { Journey } from '../../schemas/journey.js';
import { PreconditionFailedError } from '../core/errors.js';
import { dynamo } from './aws-clients.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';

/**
 * The config API's journeys in the config table, beside what the processor reads:
 * - resource: sk `DRAFT#<journeyId>` — status, the editable draft, revision (the ETag)
 * - current:  sk `JOURNEY#<journeyId>` — the published (or paused) version new customers enter;
 *             absent while a draft was never published and once archived
 * - version:  sk `JOURNEYVERSION#<journeyId>#<000001>` — immutable, what running instances use
 * - audit:    sk `AUDIT#<journeyId>#<revision, 9 digits>` — who changed what, when
 * all under pk `TENANT#<tenantId>`. Drafts and audit entries are stored as JSON text: a draft may
 * hold any JSON, numbers DynamoDB cannot store (beyond ±1e126, below 1e-130) included. The processor's `loadPublishedJourneys` reads every sk that
 * begins with `JOURNEY`, so nothing else may: drafts may be invalid. Each change is one
 * transaction conditioned on the revision the caller read, so a stale write changes nothing
 * (412) and a failed one leaves nothing half-written.
 */

const pk = (tenantId: string) => `TENANT#${tenantId}`;
const resourceSk = (journeyId: string) => `DRAFT#${journeyId}`;
const currentSk = (journeyId: string) => `JOURNEY#${journeyId}`;
const versionSk = (journeyId: string, version: number) =>
  `JOURNEYVERSION#${journeyId}#${String(version).padStart(6, '0')}`;
const auditSk = (journeyId: string, revision: number) =>
  `AUDIT#${journeyId}#${String(revision).padStart(9, '0')}`;

async function queryPrefix(tenantId: string, prefix: string): Promise<Record<string, unknown>[]> {
  return queryByPrefix(env().CONFIG_TABLE, pk(tenantId), prefix, { consistentRead: true });
}

export async function getJourneyResource(
  tenantId: string,
  journeyId: string,
): Promise<JourneyResource | null> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CONFIG_TABLE,
      Key: { pk: pk(tenantId), sk: resourceSk(journeyId) },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? null : JourneyResourceSchema.parse(JSON.parse(String(Item.resource)));
}

export async function listJourneyResources(tenantId: string): Promise<JourneyResource[]> {
  return (await queryPrefix(tenantId, 'DRAFT#')).map((item) =>
    JourneyResourceSchema.parse(JSON.parse(String(item.resource))),
  );
}

/** Published versions of a journey, oldest first. */
export async function listJourneyVersions(tenantId: string, journeyId: string): Promise<Journey[]> {
  return (await queryPrefix(tenantId, `JOURNEYVERSION#${journeyId}#`)).map((item) =>
    Journey.parse(item.journey),
  );
}

export async function getJourneyVersion(
  tenantId: string,
  journeyId: string,
  version: number,
): Promise<Journey | null> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CONFIG_TABLE,
      Key: { pk: pk(tenantId), sk: versionSk(journeyId, version) },
    }),
  );
  return Item === undefined ? null : Journey.parse(Item.journey);
}

/** What the processor reads for a journey now (its `JOURNEY#` item), whoever wrote it. */
export async function getCurrentJourney(tenantId: string, journeyId: string): Promise<Journey | null> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: env().CONFIG_TABLE,
      Key: { pk: pk(tenantId), sk: currentSk(journeyId) },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? null : Journey.parse(Item.journey);
}

export async function listAuditEntries(tenantId: string, journeyId: string): Promise<AuditEntry[]> {
  return (await queryPrefix(tenantId, `AUDIT#${journeyId}#`)).map((item) =>
    AuditEntrySchema.parse(JSON.parse(String(item.entry))),
  );
}

/** What else a change writes besides the resource and its audit entry. */
export type JourneySideWrite =
  | { kind: 'putCurrent'; journey: Journey }
  | { kind: 'putVersion'; journey: Journey }
  | { kind: 'deleteCurrent' };

/**
 * Writes a new revision of a journey resource, its audit entry and any side writes in one
 * transaction. `expectedRevision` undefined means "create": it fails if the resource exists.
 * Throws PreconditionFailedError when someone else changed it first.
 */
export async function writeJourneyChange(
  tenantId: string,
  next: JourneyResource,
  expectedRevision: number | undefined,
  audit: AuditEntry,
  sideWrites: JourneySideWrite[] = [],
): Promise<void> {
  const TableName = env().CONFIG_TABLE;
  const journeyId = next.id;
  const resourceWrite = {
    Put: {
      TableName,
      Item: {
        pk: pk(tenantId),
        sk: resourceSk(journeyId),
        resource: JSON.stringify(next),
        revision: next.revision,
      },
      ...(expectedRevision === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'revision = :expected',
            ExpressionAttributeValues: { ':expected': expectedRevision },
          }),
    },
  };
  const others = sideWrites.map((write) => sideWriteItem(TableName, tenantId, journeyId, write));
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          resourceWrite,
          {
            Put: {
              TableName,
              Item: {
                pk: pk(tenantId),
                sk: auditSk(journeyId, audit.revision),
                entry: JSON.stringify(audit),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...others,
        ],
      }),
    );
  } catch (error) {
    // A cancelled transaction wrote nothing: any failed condition means a concurrent change.
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
    if (error instanceof Error && error.name === 'TransactionCanceledException') {
      const reasons =
        (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed'))
        throw new PreconditionFailedError('The journey changed since you read it: read it again (new ETag).');
    }
    throw error;
  }
}

function sideWriteItem(TableName: string, tenantId: string, journeyId: string, write: JourneySideWrite) {
  if (write.kind === 'deleteCurrent')
    return { Delete: { TableName, Key: { pk: pk(tenantId), sk: currentSk(journeyId) } } };
  if (write.kind === 'putCurrent')
    return {
      Put: { TableName, Item: { pk: pk(tenantId), sk: currentSk(journeyId), journey: write.journey } },
    };
  return {
    Put: {
      TableName,
      Item: { pk: pk(tenantId), sk: versionSk(journeyId, write.journey.version), journey: write.journey },
      // A version is frozen once written.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export type { JourneyDraft };
