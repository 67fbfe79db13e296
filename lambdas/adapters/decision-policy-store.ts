import { ActionDefinition, GlobalCaps, TenantSettings } from '../../schemas/config-api.js';
import { buildPolicy, type DecisionPolicy } from '../core/decisioning/policy.js';
import { getConfigDocument } from './config-document-store.js';
import { env } from './env.js';
import { queryByPrefix } from './query-by-prefix.js';
import { TtlCache } from './ttl-cache.js';

/**
 * A tenant's decision policy (action catalog, settings, caps), compiled, from a warm cache like
 * the journeys': a catalog change reaches the processor within `CONFIG_CACHE_SECONDS`. A tenant
 * with none of them gets the empty policy (neutral factors, no caps).
 */
let policies: TtlCache<DecisionPolicy> | undefined;

export async function loadDecisionPolicy(tenantId: string): Promise<DecisionPolicy> {
  policies ??= new TtlCache(env().CONFIG_CACHE_SECONDS * 1_000);
  return policies.getOrLoad(tenantId, async () => {
    const [items, settings, caps] = await Promise.all([
      queryByPrefix(env().CONFIG_TABLE, `TENANT#${tenantId}`, 'ACTIONDEF#'),
      getConfigDocument(tenantId, 'settings'),
      getConfigDocument(tenantId, 'caps'),
    ]);
    return buildPolicy(
      items.map((item) => ActionDefinition.parse(item.action)),
      settings === null ? undefined : TenantSettings.parse(settings.document),
      caps === null ? undefined : GlobalCaps.parse(caps.document),
    );
  });
}

/** Tests change the catalog and want it seen at once. */
export function clearDecisionPolicyCache(): void {
  policies?.clear();
}
