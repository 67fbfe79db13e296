import * as z from 'zod';
import { IsoDateTime, Slug } from './common.js';

/**
 * Consent, as data the customer controls (issue 5). Shared contract: the processor keeps the
 * current ledger in the customer's state, the consent history is append-only, and the
 * decision layer, the dispatcher and the decision API all ask `consentAllows`
 * (lambdas/core/consent/consent-allows.ts).
 */

/** Purposes every tenant has; tenants may add their own (any slug). */
export const BUILT_IN_PURPOSES = ['analytics', 'personalization', 'marketing'] as const;
export const Purpose = Slug;
export type Purpose = z.infer<typeof Purpose>;

/** Where the customer can be reached or observed; consent is given per channel too. */
export const ConsentChannel = z.enum(['web', 'mobile', 'store', 'email', 'sms', 'push', 'call_center']);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

export const ConsentStatus = z.enum(['granted', 'denied']);
export type ConsentStatus = z.infer<typeof ConsentStatus>;

/** One consent decision of the customer, with its proof (GDPR art. 7). */
export const ConsentEntry = z.object({
  status: ConsentStatus,
  /** When the customer decided (not when Écoute learned it). */
  at: IsoDateTime,
  /** Where it was given: a channel or app name (`web`, `ios-app`, `store:paris-9`, `consent-api`). */
  source: z.string().min(1).max(200),
  policyVersion: z.string().min(1).max(100).optional(),
  /** e.g. the consent banner's id or the text shown. */
  proof: z.string().min(1).max(2_000).optional(),
});
export type ConsentEntry = z.infer<typeof ConsentEntry>;

/** The customer's current consents: the latest entry per purpose and per channel. */
export const ConsentLedger = z.object({
  purposes: z.record(Purpose, ConsentEntry).default({}),
  channels: z.partialRecord(ConsentChannel, ConsentEntry).default({}),
  /** Global Privacy Control seen: an objection to marketing and sharing, until consent is given again. */
  gpc: z.object({ at: IsoDateTime, source: z.string() }).optional(),
});
export type ConsentLedger = z.infer<typeof ConsentLedger>;

/** What a tenant assumes when the customer has said nothing: opt-in by default (false). */
export const ConsentDefaults = z.object({
  purposes: z.record(Purpose, z.boolean()).default({}),
  channels: z.partialRecord(ConsentChannel, z.boolean()).default({}),
});
export type ConsentDefaults = z.infer<typeof ConsentDefaults>;

/** Why consent allowed or refused a use, for the decision's explanation. */
export const ConsentBasis = z.object({
  allowed: z.boolean(),
  purpose: Purpose,
  channel: ConsentChannel.optional(),
  /** `granted` / `denied` by the customer, `default` of the tenant, or `gpc`. */
  purposeBasis: z.enum(['granted', 'denied', 'default_granted', 'default_denied', 'gpc']),
  channelBasis: z.enum(['granted', 'denied', 'default_granted', 'default_denied', 'not_applicable']),
  /** When the deciding entry was given, if the customer gave one. */
  since: IsoDateTime.optional(),
});
export type ConsentBasis = z.infer<typeof ConsentBasis>;

/** The consent channel an action channel reaches the customer on; `webhook` names none. */
export function consentChannelOf(actionChannel: string): ConsentChannel | undefined {
  const parsed = ConsentChannel.safeParse(actionChannel);
  return parsed.success ? parsed.data : undefined;
}

/**
 * One consent change as the customer made it: statuses per purpose and per channel, all given at
 * the same time, from the same source, under the same policy. Sent to `PUT
 * /v1/customers/{id}/consent`, carried by a `consent` stream record, and derived from a tracking
 * call's `context.consent.categoryPreferences` (docs/consent.md).
 */
export const ConsentChange = z.strictObject({
  purposes: z.record(Purpose, ConsentStatus).default({}),
  channels: z.partialRecord(ConsentChannel, ConsentStatus).default({}),
  /** When the customer decided. Required: the proof of consent needs it (GDPR art. 7). */
  at: IsoDateTime,
  source: ConsentEntry.shape.source,
  policyVersion: ConsentEntry.shape.policyVersion,
  proof: ConsentEntry.shape.proof,
  /** A Global Privacy Control signal: an objection to marketing and sharing. */
  gpc: z.boolean().optional(),
});
export type ConsentChange = z.infer<typeof ConsentChange>;

/** The body of `PUT /v1/customers/{customerId}/consent`: a change that says something. */
export const ConsentUpdateRequest = ConsentChange.refine(
  (change) =>
    Object.keys(change.purposes).length + Object.keys(change.channels).length > 0 || change.gpc === true,
  { message: 'name at least one purpose or channel, or send gpc: true' },
);

/** One item of the append-only consent history (`CONSENT#<at>#<changeId>`): a change as received. */
export const ConsentHistoryEntry = ConsentChange.safeExtend({
  changeId: z.string().min(1).max(140),
  /** When Écoute applied it (the record's receipt time). */
  receivedAt: IsoDateTime,
});
export type ConsentHistoryEntry = z.infer<typeof ConsentHistoryEntry>;

/** `PUT /v1/customers/{customerId}/consent` answers 202: the change is in the stream. */
export const ConsentAccepted = z.object({ changeId: z.string(), status: z.literal('accepted') });
export type ConsentAccepted = z.infer<typeof ConsentAccepted>;

/** `GET /v1/customers/{customerId}/consent`: the current ledger and its history, oldest first. */
export const ConsentResponse = z.object({ consent: ConsentLedger, history: z.array(ConsentHistoryEntry) });
export type ConsentResponse = z.infer<typeof ConsentResponse>;
