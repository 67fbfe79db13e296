import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { GlobalCaps, TenantSettings } from '../../schemas/config-api.js';
import type { AuthenticatedKey } from '../adapters/api-key-store.js';
import {
  type ConfigDocumentName,
  getConfigDocument,
  putConfigDocument,
} from '../adapters/config-document-store.js';
import { parseWith, readJsonBody } from '../http/request.js';
import { type HttpResult, jsonResponse } from '../http/responses.js';
import { diffDrafts } from './draft-diff.js';
import { etagOf, refuseIfMatchOnCreate, requireFreshIfMatch } from './etag.js';

const MAX_DOCUMENT_BYTES = 16_384;

const SCHEMAS: Record<ConfigDocumentName, z.ZodType> = { settings: TenantSettings, caps: GlobalCaps };

/** GET /v1/settings, /v1/caps: the stored document, or its defaults (revision 0) before any PUT. */
export async function getDocument(name: ConfigDocumentName, key: AuthenticatedKey): Promise<HttpResult> {
  const stored = await getConfigDocument(key.tenantId, name);
  const document = stored?.document ?? SCHEMAS[name].parse(name === 'caps' ? { caps: [] } : {});
  return jsonResponse(200, document, { etag: etagOf(stored?.revision ?? 0) });
}

/** PUT /v1/settings, /v1/caps: replaces the whole document, validated; If-Match once one exists. */
export async function putDocument(
  name: ConfigDocumentName,
  event: APIGatewayProxyEventV2,
  key: AuthenticatedKey,
  now: Date,
): Promise<HttpResult> {
  const document = parseWith(SCHEMAS[name], readJsonBody(event, MAX_DOCUMENT_BYTES));
  const stored = await getConfigDocument(key.tenantId, name);
  if (stored === null) refuseIfMatchOnCreate(event);
  else requireFreshIfMatch(event, stored.revision);
  const { changes, truncated } = diffDrafts(stored?.document ?? {}, document);
  const revision = await putConfigDocument(key.tenantId, name, document, stored?.revision ?? 0, {
    by: key.keyId,
    now,
    changes,
    truncated,
  });
  return jsonResponse(stored === null ? 201 : 200, document, { etag: etagOf(revision) });
}
