import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { Slug } from '../../schemas/common.js';
import { type ActionDefinition, ActionDefinitionInput } from '../../schemas/config-api.js';
import { listActionDefinitions, putActionDefinition } from '../adapters/action-catalog-store.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { diffDrafts } from './draft-diff.js';
import { etagOf, refuseIfMatchOnCreate, requireFreshIfMatch } from './etag.js';

const MAX_ACTION_REQUEST_BYTES = 8_192;

export async function listActions(key: AuthenticatedKey): Promise<HttpResult> {
  return jsonResponse(200, { actions: await listActionDefinitions(key.tenantId) });
}

/** PUT /v1/actions/{actionId}: creates (201) or replaces (If-Match) an entry of the catalog. */
export async function putAction(
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const { actionId } = parseWith(z.object({ actionId: Slug }), event.pathParameters ?? {}, [
    'pathParameters',
  ]);
  const input = parseWith(ActionDefinitionInput, readJsonBody(event, MAX_ACTION_REQUEST_BYTES));
  const current = (await listActionDefinitions(key.tenantId)).find((action) => action.id === actionId);
  if (current === undefined) refuseIfMatchOnCreate(event);
  else requireFreshIfMatch(event, current.revision);
  const next: ActionDefinition = {
    ...input,
    id: actionId,
    revision: (current?.revision ?? 0) + 1,
    updatedAt: now.toISOString(),
    updatedBy: key.keyId,
  };
  const {
    revision: _r,
    updatedAt: _u,
    updatedBy: _b,
    ...before
  } = current ?? ({} as Partial<ActionDefinition>);
  const { revision: _nr, updatedAt: _nu, updatedBy: _nb, ...after } = next;
  await putActionDefinition(key.tenantId, next, current?.revision, diffDrafts(before, after).changes);
  return jsonResponse(current === undefined ? 201 : 200, next, { etag: etagOf(next.revision) });
}
