import * as z from 'zod';
import { IsoDateTime, JsonObject, Slug } from './common.js';
import { BUILT_IN_PURPOSES, ConsentChannel, type ConsentDefaults } from './consent.js';
import { ActionDecisioning, PresenceWindows } from './decisioning.js';
import { ActionChannel } from './journey.js';

/**
 * The config API's journey resource: an editable draft and the immutable versions published
 * from it. The lifecycle is draft → published → paused ↔ published → archived.
 */
export const JourneyStatus = z.enum(['draft', 'published', 'paused', 'archived']);
export type JourneyStatus = z.infer<typeof JourneyStatus>;

/**
 * A draft: any JSON object, up to the body limit. Drafts may be invalid; publishing validates
 * them (422 `invalid_journey` with every mistake). `id`, `status` and `version` are the API's:
 * the id comes from the path and the other two from the lifecycle.
 */
export const JourneyDraft = JsonObject;
export type JourneyDraft = z.infer<typeof JourneyDraft>;

/** The largest draft accepted, in bytes of JSON: far below DynamoDB's 400 KB item limit. */
export const MAX_DRAFT_BYTES = 64 * 1024;

export const JourneyResource = z.object({
  id: Slug,
  status: JourneyStatus,
  draft: JourneyDraft,
  /** Bumped by every change; the `ETag` is this number, quoted. */
  revision: z.number().int().min(1),
  /** The last version published, 0 before the first publish. */
  latestVersion: z.number().int().min(0),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  /** The API key id that made the last change. */
  updatedBy: z.string(),
});
export type JourneyResource = z.infer<typeof JourneyResource>;

export const JourneyResourceWithVersions = JourneyResource.extend({
  /** Published versions, oldest first, as frozen at publish time. */
  versions: z.array(z.object({ version: z.number().int().min(1), journey: JsonObject })),
});

export const JourneyList = z.object({ journeys: z.array(JourneyResource) });

export const AuditAction = z.enum(['draft_saved', 'published', 'paused', 'resumed', 'archived']);

/** One change of `path` in a draft: `from` absent means added, `to` absent means removed. */
export const DraftChange = z.object({
  path: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
export type DraftChange = z.infer<typeof DraftChange>;

export const AuditEntry = z.object({
  journeyId: Slug,
  revision: z.number().int().min(1),
  action: AuditAction,
  at: IsoDateTime,
  /** The API key id that made the change. */
  by: z.string(),
  /** The published version, for publish, pause, resume and archive. */
  version: z.number().int().min(1).optional(),
  /** What changed in the draft (at most `MAX_AUDITED_CHANGES`; `truncated` says when more did). */
  changes: z.array(DraftChange).default([]),
  truncated: z.boolean().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditList = z.object({ entries: z.array(AuditEntry) });

/** One event of a dry run's timeline: a track call (or an identify, to change traits). */
export const SimulatedEvent = z.strictObject({
  at: IsoDateTime,
  type: z.enum(['track', 'identify']).default('track'),
  /** The event name of a track call. */
  event: z.string().min(1).max(200).optional(),
  properties: JsonObject.default({}),
  /** The traits an identify call sets. */
  traits: JsonObject.default({}),
  channel: z.enum(['web', 'mobile', 'store', 'call_center', 'social', 'server']).default('web'),
  context: JsonObject.default({}),
});
export type SimulatedEvent = z.infer<typeof SimulatedEvent>;

export const SimulateRequest = z.strictObject({
  /** A published version to run; the draft when absent. */
  version: z.number().int().min(1).optional(),
  customerId: z.string().min(1).max(300).default('simulated-customer'),
  /** The customer's traits before the first event. */
  profile: JsonObject.default({}),
  /**
   * The simulated customer's consents, granted (true) or denied (false), echoed back: by purpose
   * (`marketing`…), or by channel for a consent channel's name (`email`, `sms`…). Unlisted ones
   * follow the tenant's consent defaults, as in production.
   */
  consents: z.record(z.string(), z.boolean()).default({}),
  events: z.array(SimulatedEvent).min(1).max(500),
  /** Timers due up to this time fire after the last event; default: 90 days after it. */
  until: IsoDateTime.optional(),
});
export type SimulateRequest = z.input<typeof SimulateRequest>;

export const SimulateResponse = z.object({
  journeyId: Slug,
  /** The version run, or "draft". */
  ran: z.union([z.number().int(), z.literal('draft')]),
  consents: z.record(z.string(), z.boolean()),
  /** Every step taken, in order, with why. */
  path: z.array(z.object({ at: IsoDateTime, stepId: z.string().optional(), what: z.string() })),
  actions: z.array(
    z.object({
      at: IsoDateTime,
      stepId: z.string().optional(),
      action: z.string(),
      channel: z.string(),
      payload: JsonObject,
      variant: z.string().optional(),
      /** Decided in quiet hours that defer: sent then, not at `at`. */
      deliverAt: IsoDateTime.optional(),
    }),
  ),
  suppressed: z.array(z.object({ at: IsoDateTime, stepId: z.string().optional(), reason: z.string() })),
  timers: z.array(
    z.object({
      timerId: z.string(),
      dueAt: IsoDateTime,
      firedAt: IsoDateTime.optional(),
      cancelled: z.boolean(),
    }),
  ),
  goal: z.object({ reached: z.boolean(), at: IsoDateTime.optional() }),
  notes: z.array(z.string()),
});
export type SimulateResponse = z.infer<typeof SimulateResponse>;

/**
 * `PUT /v1/webhooks/{channel}`: where a channel's actions are pushed, signed with the channel's
 * own secret. The `webhook` channel's also receives actions of channels without their own. A
 * secret is generated the first time, and again when `rotateSecret` is true; it is shown in that
 * answer only. The URL must be https and public (docs/webhooks.md, SSRF rules): else 422
 * `unsafe_webhook_url`.
 */
export const PutWebhookRequest = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  rotateSecret: z.boolean().default(false),
});

export const WebhookResource = z.object({
  channel: z.string(),
  url: z.string(),
  /** The secret's last four characters, to tell secrets apart. */
  secretHint: z.string(),
  /** The signing secret: only in the answer that created or rotated it. */
  secret: z.string().optional(),
});
export type WebhookResource = z.infer<typeof WebhookResource>;

export const WebhookList = z.object({ webhooks: z.array(WebhookResource) });

/**
 * An entry of the tenant's action catalog: the actions journeys may fire. Once a tenant has a
 * catalog, publishing refuses an action id that is not in it (`unknown_action`). The
 * decisioning fields (channels, content, eligibility, value, priority, propensity, validity,
 * caps) are described in schemas/decisioning.ts.
 */
export const ActionDefinitionInput = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(2_000).optional(),
    channel: ActionChannel.default('webhook'),
    ...ActionDecisioning,
  })
  .refine(
    (action) =>
      action.validFrom === undefined ||
      action.validUntil === undefined ||
      Date.parse(action.validFrom) < Date.parse(action.validUntil),
    { message: 'validFrom must come before validUntil', path: ['validUntil'] },
  );

export const ActionDefinition = ActionDefinitionInput.safeExtend({
  id: Slug,
  revision: z.number().int().min(1),
  updatedAt: IsoDateTime,
  updatedBy: z.string(),
});
export type ActionDefinition = z.infer<typeof ActionDefinition>;

export const ActionCatalog = z.object({ actions: z.array(ActionDefinition) });

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 21:00');

/**
 * Tenant settings, stored and validated. Consent defaults and purposes are enforced (the engine's
 * arrival gate, withdrawals, the send gate: docs/consent.md); arbitration weights, quiet hours
 * and presence windows by the processor's decisioning (lambdas/core/decisioning/); retention is
 * stored.
 */
export const TenantSettings = z.strictObject({
  /** Context weights ("C") of arbitration, by journey id or action id (journey first); default 1. */
  arbitrationWeights: z.record(Slug, z.number().min(0).max(1)).default({}),
  /**
   * No outbound action (email, sms, push, webhook) is sent inside these hours, customer's local
   * time: `suppress` (the default) drops it, `defer` sends it when the quiet hours end.
   */
  quietHours: z
    .strictObject({
      start: TimeOfDay,
      end: TimeOfDay,
      mode: z.enum(['suppress', 'defer']).default('suppress'),
    })
    .optional(),
  /**
   * Purposes of this tenant beyond the built-in `analytics`, `personalization` and `marketing`
   * (e.g. `sharing`, `research`): consent to any other purpose is refused as `unknown_purpose`.
   */
  purposes: z.array(Slug).max(50).default([]),
  /**
   * Consent assumed for a purpose when a customer has said nothing, by purpose. Opt-in: a
   * purpose not listed is refused until the customer grants it.
   */
  consentDefaults: z.record(Slug, z.boolean()).default({}),
  /**
   * The same per channel. Not listed: `web`, `mobile`, `store` and `call_center` (where the
   * customer is already talking to the business) are allowed, `email`, `sms` and `push` need
   * an opt-in (see `consentDefaultsOf`).
   */
  channelConsentDefaults: z.partialRecord(ConsentChannel, z.boolean()).default({}),
  /** How recent activity must be for web, app and store to count as live (default 30m, 1h). */
  presence: PresenceWindows.optional(),
  /** How many actions one cause (event, timer) may send per channel; default 1. */
  actionsPerChannelPerCause: z.number().int().min(1).max(10).optional(),
  /** Days customer data is kept after its last event. */
  retentionDays: z.number().int().min(30).max(3_650).default(395),
});
export type TenantSettings = z.infer<typeof TenantSettings>;

/** Channels where the customer already talks to the business: no separate opt-in by default. */
const CHANNELS_ALLOWED_BY_DEFAULT = { web: true, mobile: true, store: true, call_center: true } as const;

/** The purposes a tenant knows: the built-in ones and its own. */
export function purposesOf(settings: TenantSettings | undefined): string[] {
  return [...new Set([...BUILT_IN_PURPOSES, ...(settings?.purposes ?? [])])];
}

/** The consent a tenant assumes when the customer has said nothing (no settings yet: opt-in). */
export function consentDefaultsOf(settings: TenantSettings | undefined): ConsentDefaults {
  return {
    purposes: { ...settings?.consentDefaults },
    channels: { ...CHANNELS_ALLOWED_BY_DEFAULT, ...settings?.channelConsentDefaults },
  };
}

/** Global frequency caps: at most `max` actions (of a channel, or all) per customer per `per`. */
export const GlobalCaps = z.strictObject({
  caps: z
    .array(
      z.strictObject({
        id: Slug,
        channel: z.enum([...ActionChannel.options, 'all']).default('all'),
        max: z.number().int().min(1).max(1_000),
        per: z.string().regex(/^\d{1,6}[smhdw]$/, 'a duration like 1d or 1w'),
      }),
    )
    .max(20)
    .refine((caps) => new Set(caps.map((cap) => cap.id)).size === caps.length, 'cap ids must be unique'),
});
export type GlobalCaps = z.infer<typeof GlobalCaps>;

/** A change to a tenant-wide resource (API keys, webhooks, actions, settings, caps). */
export const TenantAuditEntry = z.object({
  /** `api-key:<keyId>`, `webhook:<channel>`, `action:<id>`, `settings` or `caps`. */
  resource: z.string(),
  action: z.enum(['created', 'updated', 'revoked', 'secret_rotated']),
  at: IsoDateTime,
  /** The API key id that made the change (`bootstrap` for the tenant's first key). */
  by: z.string(),
  /** What changed (never a secret or a key). */
  changes: z.array(DraftChange).default([]),
  truncated: z.boolean().optional(),
});
export type TenantAuditEntry = z.infer<typeof TenantAuditEntry>;

export const TenantAuditList = z.object({ entries: z.array(TenantAuditEntry) });
