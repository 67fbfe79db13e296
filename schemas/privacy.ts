import * as z from 'zod';
import { Action } from './action.js';
import { IsoDateTime, Slug } from './common.js';
import { ConsentChannel, ConsentLedger, ConsentStatus, Purpose } from './consent.js';
import { CustomerState } from './customer-state.js';
import { Decision } from './decision.js';
import { Timer } from './timer.js';

/**
 * The privacy surface (issue 5): customer-facing tokens, the export document (GDPR art. 15)
 * and the erasure receipt (art. 17). See docs/privacy.md.
 */

/** Fixed claims of a privacy token: who signs it (the tenant's backend) and who takes it (Écoute). */
export const PRIVACY_TOKEN_ISSUER = 'ecoute-tenant';
export const PRIVACY_TOKEN_AUDIENCE = 'ecoute-privacy';
/** A token lives at most this long (`exp - iat`): it is meant for one visit of a privacy page. */
export const PRIVACY_TOKEN_MAX_SECONDS = 3_600;

/** The claims of a privacy token (a JWT signed HS256 with one of the tenant's privacy keys). */
export const PrivacyTokenClaims = z.object({
  iss: z.literal(PRIVACY_TOKEN_ISSUER),
  aud: z.literal(PRIVACY_TOKEN_AUDIENCE),
  /** The tenant whose key signed it. */
  tid: Slug,
  /** The customer: the only one the token reaches. */
  sub: z.string().min(1).max(300),
  iat: z.number().int().min(0),
  exp: z.number().int().min(0),
});
export type PrivacyTokenClaims = z.infer<typeof PrivacyTokenClaims>;

/** A privacy signing key as the config API shows it: the secret only once, when created. */
export const PrivacyKeyResource = z.object({
  kid: z.string(),
  createdAt: IsoDateTime,
  secret: z.string().optional(),
  secretHint: z.string(),
});
export type PrivacyKeyResource = z.infer<typeof PrivacyKeyResource>;

/** Everything stored under one customer id, by kind. */
export const CustomerRecords = z.object({
  customerId: z.string(),
  state: CustomerState.nullable(),
  /** Consent history items as stored (CONSENT#), oldest first. */
  consentHistory: z.array(z.record(z.string(), z.unknown())),
  /** Actions with their delivery log. */
  actions: z.array(Action),
  timers: z.array(Timer),
  decisions: z.array(Decision),
  /** Anything else under the customer's partition (caps counters…), as stored, minus keys. */
  other: z.array(z.record(z.string(), z.unknown())),
});
export type CustomerRecords = z.infer<typeof CustomerRecords>;

/** GDPR art. 15: one document with everything about a customer, and about the ids merged into them. */
export const CustomerExport = CustomerRecords.extend({
  tenantId: Slug,
  exportedAt: IsoDateTime,
  /** Ids merged into this customer (anonymous devices, former ids): their stubs and leftovers. */
  linked: z.array(CustomerRecords),
});
export type CustomerExport = z.infer<typeof CustomerExport>;

/** The receipt of an erasure request; `pending` until the processor has applied it. */
export const ErasureReceipt = z.object({
  erasureId: z.string(),
  requestedAt: IsoDateTime,
  status: z.enum(['pending', 'completed']),
  completedAt: IsoDateTime.optional(),
  /** What the erasure deletes, in plain words. */
  covers: z.array(z.string()),
});
export type ErasureReceipt = z.infer<typeof ErasureReceipt>;

export const ERASURE_COVERS = [
  'profile and traits',
  'consent history',
  'journey progress and pending timers',
  'decisions and their explanations',
  'actions and delivery logs',
  'identity links (anonymous devices and merged ids)',
  'duplicate-detection records',
] as const;

/** A decision as the customer sees it: what, when, and why in plain words; no scores. */
export const CustomerDecisionView = z.object({
  decidedAt: IsoDateTime,
  outcome: z.enum(['taken', 'suppressed']),
  action: z.string(),
  channel: z.string().optional(),
  explanation: z.string(),
});

export const MyDecisionsResponse = z.object({ decisions: z.array(CustomerDecisionView) });

/** `PUT /v1/me/consent`: what the customer changes; purposes and channels not named stay as they are. */
export const MyConsentChangeRequest = z.strictObject({
  purposes: z.record(Purpose, ConsentStatus).optional(),
  channels: z.partialRecord(ConsentChannel, ConsentStatus).optional(),
  policyVersion: z.string().min(1).max(100).optional(),
});
export type MyConsentChangeRequest = z.infer<typeof MyConsentChangeRequest>;

export const MyConsentResponse = z.object({ consent: ConsentLedger.nullable() });

/** `GET /v1/customers/{id}/decisions`: newest first, with a cursor to the next page. */
export const DecisionPage = z.object({ decisions: z.array(Decision), nextCursor: z.string().optional() });
export type DecisionPage = z.infer<typeof DecisionPage>;

/** `GET /v1/me/erasure/{erasureId}`: `pending` until the processor has applied it; an id never asked for (or asked for more than 8 days ago) is 404. */
export const ErasureStatusResponse = z.object({
  erasureId: z.string(),
  status: z.enum(['pending', 'completed']),
  completedAt: IsoDateTime.optional(),
});
