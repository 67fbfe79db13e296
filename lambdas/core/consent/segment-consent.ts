import type { ConsentChange, ConsentStatus } from '../../../schemas/consent.js';
import type { SegmentCall } from '../../../schemas/segment-call.js';

/**
 * Segment's consent categories (`context.consent.categoryPreferences`, as its Consent Management
 * and the OneTrust / Didomi / Ketch wrappers send them) → Écoute purposes. Category names are
 * compared lowercased with everything but letters and digits removed, so `Data Sharing`,
 * `data_sharing` and `DataSharing` are one. A category that is not in this table but names a
 * purpose of the tenant (`research`) maps to that purpose; any other is ignored. Documented in
 * docs/consent.md; keep the two in step.
 */
export const SEGMENT_CATEGORY_PURPOSES: Readonly<Record<string, string>> = {
  analytics: 'analytics',
  performance: 'analytics',
  measurement: 'analytics',
  statistics: 'analytics',
  functional: 'personalization',
  personalization: 'personalization',
  personalisation: 'personalization',
  preferences: 'personalization',
  advertising: 'marketing',
  marketing: 'marketing',
  targeting: 'marketing',
  datasharing: 'sharing',
  sharing: 'sharing',
};

const normalise = (category: string) => category.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The purpose a Segment category stands for, or undefined when it names none the tenant knows. */
export function purposeOfCategory(category: string, tenantPurposes: ReadonlySet<string>): string | undefined {
  const key = normalise(category);
  const mapped = SEGMENT_CATEGORY_PURPOSES[key];
  if (mapped !== undefined) return tenantPurposes.has(mapped) ? mapped : undefined;
  return tenantPurposes.has(key) ? key : undefined;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const inner = (value as Record<string, unknown>)[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

/** `Sec-GPC: 1` seen at ingest (`context.gpc`), or the browser's `navigator.globalPrivacyControl`. */
function gpcOf(context: Record<string, unknown>): boolean {
  return (
    context.gpc === true ||
    context.globalPrivacyControl === true ||
    objectAt(context, 'consent')?.gpc === true
  );
}

/**
 * The consent change a tracking call carries, if any: its categories mapped to purposes (several
 * categories for one purpose: any refusal wins, since consent must be unambiguous) and a GPC
 * signal. Given at the call's own time, from its channel.
 *
 * @example
 * consentChangeOfCall(call, new Set(['analytics', 'personalization', 'marketing']))
 */
export function consentChangeOfCall(
  call: SegmentCall,
  tenantPurposes: ReadonlySet<string>,
): ConsentChange | undefined {
  const consent = objectAt(call.context, 'consent');
  const gpc = gpcOf(call.context);
  // Most calls carry no consent: nothing to build for them.
  if (consent === undefined && !gpc) return undefined;
  const preferences = objectAt(consent, 'categoryPreferences') ?? {};
  const purposes: Record<string, ConsentStatus> = {};
  for (const [category, value] of Object.entries(preferences)) {
    if (typeof value !== 'boolean') continue;
    const purpose = purposeOfCategory(category, tenantPurposes);
    if (purpose === undefined) continue;
    purposes[purpose] = purposes[purpose] === 'denied' || !value ? 'denied' : 'granted';
  }
  if (Object.keys(purposes).length === 0 && !gpc) return undefined;
  return {
    purposes,
    channels: {},
    at: call.timestamp,
    source: `tracking:${call.channel}`,
    ...(gpc ? { gpc: true } : {}),
  };
}
