import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type ConsentAccepted, type ConsentResponse, ConsentUpdateRequest } from '../../schemas/consent.js';
import type { ConsentRecord } from '../../schemas/stream-record.js';
import { loadConsentPolicy } from '../adapters/config-store.js';
import { listConsentHistory } from '../adapters/consent-store.js';
import { loadCustomerState } from '../adapters/customer-store.js';
import { putRecordsDurably } from '../adapters/event-stream.js';
import { emptyLedger } from '../core/consent/apply-consent-change.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { parseWith, readJsonBody } from '../http/request.js';

/** A consent change is small: a few purposes and channels, a proof of at most 2,000 characters. */
const MAX_CONSENT_BODY_BYTES = 16_384;

/**
 * `PUT /v1/customers/{customerId}/consent`: validates the change and puts it in the stream under
 * the customer's key, where the processor (the customer's single writer) applies it; 202 with the
 * change id once Kinesis holds it. Refused, with nothing written: an unknown channel or a missing
 * `source` or `at` (400 `invalid_request`), a purpose the tenant does not know (422
 * `unknown_purpose`).
 */
export async function putConsent(
  event: APIGatewayProxyEventV2,
  tenantId: string,
  customerId: string,
  now: Date,
): Promise<ConsentAccepted> {
  const change = parseWith(ConsentUpdateRequest, readJsonBody(event, MAX_CONSENT_BODY_BYTES));
  const { purposes } = await loadConsentPolicy(tenantId);
  const unknown = Object.keys(change.purposes).filter((purpose) => !purposes.has(purpose));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      'unknown_purpose',
      `Unknown purpose: use ${[...purposes].join(', ')}, or add the purpose to the tenant settings.`,
      unknown.map((purpose) => ({
        code: 'unknown_purpose',
        message: 'not a purpose of this tenant',
        path: `purposes.${purpose}`,
      })),
      422,
    );
  }
  const record: ConsentRecord = {
    kind: 'consent',
    tenantId,
    customerId,
    receivedAt: now.toISOString(),
    changeId: randomUUID(),
    change,
  };
  await putRecordsDurably([record]);
  return { changeId: record.changeId, status: 'accepted' };
}

/** `GET /v1/customers/{customerId}/consent`: the current ledger and the whole history, oldest first. */
export async function getConsent(tenantId: string, customerId: string): Promise<ConsentResponse> {
  const [state, history] = await Promise.all([
    loadCustomerState(tenantId, customerId),
    listConsentHistory(tenantId, customerId),
  ]);
  if (state === undefined && history.length === 0) throw new NotFoundError('No customer by that id.');
  return { consent: state?.consent ?? emptyLedger(), history };
}
