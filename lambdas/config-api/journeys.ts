import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { Slug } from '../../schemas/common.js';
import {
  type AuditEntry,
  JourneyDraft,
  type JourneyResource,
  MAX_DRAFT_BYTES,
  SimulateRequest,
} from '../../schemas/config-api.js';
import { ActionChannel, type Journey } from '../../schemas/journey.js';
import { listActionDefinitions } from '../adapters/action-catalog-store.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { loadConsentPolicy } from '../adapters/config-store.js';
import { loadDecisionPolicy } from '../adapters/decision-policy-store.js';
import { env } from '../adapters/env.js';
import {
  getCurrentJourney,
  getJourneyResource,
  getJourneyVersion,
  type JourneySideWrite,
  listAuditEntries,
  listJourneyResources,
  listJourneyVersions,
  writeJourneyChange,
} from '../adapters/journey-config-store.js';
import { getTenantWithRevision } from '../adapters/tenant-config-store.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { channelCanDeliver } from '../core/tenant-webhooks.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { diffDrafts } from './draft-diff.js';
import { etagOf, refuseIfMatchOnCreate, requireFreshIfMatch } from './etag.js';
import { type SimulationPolicies, simulateJourney } from './simulate-journey.js';
import { validateJourney } from './validate-journey.js';

const JourneyPath = z.object({ journeyId: Slug });

const journeyIdOf = (event: APIGatewayProxyEventV2) =>
  parseWith(JourneyPath, event.pathParameters ?? {}, ['pathParameters']).journeyId;

const withEtag = (status: number, resource: JourneyResource, extra: object = {}) =>
  jsonResponse(status, { ...resource, ...extra }, { etag: etagOf(resource.revision) });

/** Every resource is read under the caller's tenant: another tenant's journey is simply not there (404). */
async function existing(tenantId: string, journeyId: string): Promise<JourneyResource> {
  const resource = await getJourneyResource(tenantId, journeyId);
  if (resource === null) throw new NotFoundError('No journey by that id.');
  return resource;
}

function auditEntry(
  resource: JourneyResource,
  action: AuditEntry['action'],
  key: AuthenticatedKey,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    journeyId: resource.id,
    revision: resource.revision,
    action,
    at: resource.updatedAt,
    by: key.keyId,
    changes: [],
    ...extra,
  };
}

const nextRevision = (
  resource: JourneyResource,
  key: AuthenticatedKey,
  now: Date,
  changes: Partial<JourneyResource>,
) => ({
  ...resource,
  ...changes,
  revision: resource.revision + 1,
  updatedAt: now.toISOString(),
  updatedBy: key.keyId,
});

export async function listJourneys(key: AuthenticatedKey): Promise<HttpResult> {
  return jsonResponse(200, { journeys: await listJourneyResources(key.tenantId) });
}

export async function getJourney(event: APIGatewayProxyEventV2, key: AuthenticatedKey): Promise<HttpResult> {
  const resource = await existing(key.tenantId, journeyIdOf(event));
  const versions = await listJourneyVersions(key.tenantId, resource.id);
  return withEtag(200, resource, {
    versions: versions.map((journey) => ({ version: journey.version, journey })),
  });
}

export async function getJourneyAudit(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
): Promise<HttpResult> {
  const resource = await existing(key.tenantId, journeyIdOf(event));
  return jsonResponse(200, { entries: await listAuditEntries(key.tenantId, resource.id) });
}

/** The draft as sent, with the API's own fields taken out: the path names it, the lifecycle versions it. */
function draftOf(event: APIGatewayProxyEventV2, journeyId: string): JourneyDraft {
  const body = parseWith(JourneyDraft, readJsonBody(event, MAX_DRAFT_BYTES));
  if (body.id !== undefined && body.id !== journeyId)
    throw new InvalidInputError('id_mismatch', `The body's id is not "${journeyId}", the id in the path.`, [
      { code: 'id_mismatch', path: 'id', message: 'Leave id out or make it the one in the path.' },
    ]);
  const { status: _status, version: _version, ...draft } = body;
  return { ...draft, id: journeyId };
}

/** PUT: creates the journey as a draft, or replaces its draft (If-Match required then). Drafts may be invalid. */
export async function saveDraft(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const journeyId = journeyIdOf(event);
  const draft = draftOf(event, journeyId);
  const current = await getJourneyResource(key.tenantId, journeyId);
  if (current === null) {
    refuseIfMatchOnCreate(event);
    // A journey published before the config API (tenant:create, the demo seed) is adopted: its
    // versions count, so the next publish does not collide with them, and its live status shows.
    const [versions, live] = await Promise.all([
      listJourneyVersions(key.tenantId, journeyId),
      getCurrentJourney(key.tenantId, journeyId),
    ]);
    const created: JourneyResource = {
      id: journeyId,
      status: live?.status ?? 'draft',
      draft,
      revision: 1,
      latestVersion: Math.max(0, live?.version ?? 0, ...versions.map((journey) => journey.version)),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      updatedBy: key.keyId,
    };
    const { changes, truncated } = diffDrafts({}, draft);
    await writeJourneyChange(
      key.tenantId,
      created,
      undefined,
      auditEntry(created, 'draft_saved', key, { changes, ...(truncated ? { truncated } : {}) }),
    );
    return withEtag(201, created);
  }
  const expected = requireFreshIfMatch(event, current.revision);
  if (current.status === 'archived')
    throw new ConflictError('This journey is archived: it can no longer change.');
  const next = nextRevision(current, key, now, { draft });
  const { changes, truncated } = diffDrafts(current.draft, draft);
  await writeJourneyChange(
    key.tenantId,
    next,
    expected,
    auditEntry(next, 'draft_saved', key, { changes, ...(truncated ? { truncated } : {}) }),
  );
  return withEtag(200, next);
}

/** The tenant's context for validation: which channels can deliver, the shortest wait allowed. */
async function validationContextFor(tenantId: string) {
  // Read fresh, not from the warm cache: a webhook configured a moment ago counts.
  const [found, actions] = await Promise.all([
    getTenantWithRevision(tenantId),
    listActionDefinitions(tenantId),
  ]);
  const tenant = found?.tenant;
  return {
    actionCatalog: new Set(actions.map((action) => action.id)),
    configuredChannels: new Set(
      ActionChannel.options.filter((channel) => tenant !== undefined && channelCanDeliver(tenant, channel)),
    ),
    minWaitSeconds: env().MIN_WAIT_SECONDS,
  };
}

function validOrThrow(
  draft: JourneyDraft,
  context: Awaited<ReturnType<typeof validationContextFor>>,
  id: string,
  version: number,
): Journey {
  const result = validateJourney(draft, context, { id, version });
  if (result.ok) return result.journey;
  throw new InvalidInputError(
    'invalid_journey',
    `The journey has ${result.errors.length} mistake${result.errors.length === 1 ? '' : 's'} to fix before it can go live.`,
    result.errors,
    422,
  );
}

/** Validates the draft and freezes it as the next version, which new customers enter from now on. */
export async function publishJourney(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const current = await existing(key.tenantId, journeyIdOf(event));
  const expected = requireFreshIfMatch(event, current.revision);
  if (current.status === 'archived')
    throw new ConflictError('This journey is archived: it can no longer be published.');
  const version = current.latestVersion + 1;
  const journey = validOrThrow(current.draft, await validationContextFor(key.tenantId), current.id, version);
  const next = nextRevision(current, key, now, { status: 'published', latestVersion: version });
  const writes: JourneySideWrite[] = [
    { kind: 'putVersion', journey },
    { kind: 'putCurrent', journey },
  ];
  await writeJourneyChange(
    key.tenantId,
    next,
    expected,
    auditEntry(next, 'published', key, { version }),
    writes,
  );
  return withEtag(200, next);
}

type Transition = 'pause' | 'resume' | 'archive';

const TRANSITIONS: Record<
  Transition,
  { from: JourneyResource['status'][]; to: JourneyResource['status']; audit: AuditEntry['action'] }
> = {
  pause: { from: ['published'], to: 'paused', audit: 'paused' },
  resume: { from: ['paused'], to: 'published', audit: 'resumed' },
  archive: { from: ['draft', 'published', 'paused'], to: 'archived', audit: 'archived' },
};

/**
 * Pause (no one new enters; running instances go on), resume, archive (removed from what the
 * processor enters; instances already running finish on their version, which stays stored).
 */
export async function changeStatus(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
  transition: Transition,
): Promise<HttpResult> {
  const current = await existing(key.tenantId, journeyIdOf(event));
  const expected = requireFreshIfMatch(event, current.revision);
  const rule = TRANSITIONS[transition];
  if (!rule.from.includes(current.status))
    throw new ConflictError(
      `A ${current.status} journey cannot ${transition}: only ${rule.from.join(' or ')} ones can.`,
    );
  const next = nextRevision(current, key, now, { status: rule.to });
  const writes: JourneySideWrite[] = [];
  if (transition === 'archive') {
    if (current.latestVersion > 0) writes.push({ kind: 'deleteCurrent' });
  } else {
    const live = await getJourneyVersion(key.tenantId, current.id, current.latestVersion);
    if (live === null) throw new ConflictError('The published version is missing: publish again.');
    writes.push({
      kind: 'putCurrent',
      journey: { ...live, status: transition === 'pause' ? 'paused' : 'published' },
    });
  }
  const audit = auditEntry(
    next,
    rule.audit,
    key,
    current.latestVersion > 0 ? { version: current.latestVersion } : {},
  );
  await writeJourneyChange(key.tenantId, next, expected, audit, writes);
  return withEtag(200, next);
}

/** A dry run of the draft (or of a published version): reads config, writes nothing. */
export async function simulate(event: APIGatewayProxyEventV2, key: AuthenticatedKey): Promise<HttpResult> {
  const resource = await existing(key.tenantId, journeyIdOf(event));
  const request = parseWith(SimulateRequest, readJsonBody(event, MAX_DRAFT_BYTES));
  if (request.version !== undefined) {
    const journey = await getJourneyVersion(key.tenantId, resource.id, request.version);
    if (journey === null) throw new NotFoundError('No such version of this journey.');
    return jsonResponse(
      200,
      simulateJourney(
        key.tenantId,
        journey,
        journey.version,
        request,
        await simulationPolicies(key.tenantId),
      ),
    );
  }
  const journey = validOrThrow(
    resource.draft,
    await validationContextFor(key.tenantId),
    resource.id,
    resource.latestVersion + 1,
  );
  return jsonResponse(
    200,
    simulateJourney(key.tenantId, journey, 'draft', request, await simulationPolicies(key.tenantId)),
  );
}

/** The tenant's consent and decision policies, loaded as the processor loads them. */
async function simulationPolicies(tenantId: string): Promise<SimulationPolicies> {
  const [consent, decision] = await Promise.all([loadConsentPolicy(tenantId), loadDecisionPolicy(tenantId)]);
  return { consent, decision };
}
