import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type ConsentAccepted, type ConsentResponse, ConsentUpdateRequest } from '../../schemas/consent.js';
import { acceptConsentChange } from '../adapters/consent-changes.js';
import { listConsentHistory } from '../adapters/consent-store.js';
import { loadCustomerState } from '../adapters/customer-store.js';
import { emptyLedger } from '../core/consent/apply-consent-change.js';
import { NotFoundError } from '../core/errors.js';
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
  return acceptConsentChange(tenantId, customerId, change, now);
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
