/**
 * Arbitration throughput (issue 6): `decide` on 200 candidate actions at one moment, each with a
 * catalog entry (eligibility condition, rule-based or static propensity, per-action cap, content
 * template, three channels), against a caps history of 200 recent sends. Pure and in-process:
 * called by `bench/run.ts`, or alone with `npx tsx bench/arbitration.ts`.
 */
import { pathToFileURL } from 'node:url';
import { EMPTY_HISTORY, withEntries } from '../lambdas/core/decisioning/caps-history.js';
import { type Candidate, decide } from '../lambdas/core/decisioning/decide.js';
import { buildPolicy } from '../lambdas/core/decisioning/policy.js';
import { ActionDefinition, GlobalCaps, TenantSettings } from '../schemas/config-api.js';
import type { HistoryEntry } from '../schemas/decisioning.js';

type Report = (measure: string, value: string) => void;

const CANDIDATES = 200;
const NOW = Date.parse('2026-03-10T12:00:00Z');

function setup() {
  const catalog = Array.from({ length: CANDIDATES }, (_, i) =>
    ActionDefinition.parse({
      id: `offer-${i}`,
      name: `Offer ${i}`,
      revision: 1,
      updatedAt: '2026-01-01T00:00:00Z',
      updatedBy: 'bench',
      purpose: 'service',
      channels: ['store', 'mobile', 'email'],
      value: 1 + (i % 17),
      priority: i % 7,
      eligibility: {
        any: [
          { path: 'traits.tier', op: 'in', value: ['gold', 'silver'] },
          { path: 'properties.total', op: 'gte', value: i },
        ],
      },
      propensity:
        i % 2 === 0
          ? { kind: 'static', score: ((i * 37) % 100) / 100 }
          : {
              kind: 'rules',
              rules: [{ when: { path: 'traits.tier', op: 'eq', value: 'gold' }, score: 0.8 }],
              otherwise: 0.3,
            },
      caps: [{ max: 3, per: '1w' }],
      content: { title: 'Hi {{ traits.firstName | default: "there" }}, offer {{ properties.total }}' },
    }),
  );
  const policy = buildPolicy(
    catalog,
    TenantSettings.parse({
      consentDefaults: { service: true },
      channelConsentDefaults: { email: true },
      quietHours: { start: '22:00', end: '07:00' },
    }),
    GlobalCaps.parse({
      caps: [
        { id: 'daily', max: 50, per: '1d' },
        { id: 'email', channel: 'email', max: 20, per: '1w' },
      ],
    }),
  );
  const sends: HistoryEntry[] = Array.from({ length: 200 }, (_, i) => ({
    kind: 'sent',
    id: `past-${i}`,
    action: `offer-${i % CANDIDATES}`,
    channel: 'email',
    at: new Date(NOW - (i + 1) * 3_600_000).toISOString(),
  }));
  const history = withEntries(EMPTY_HISTORY, sends, NOW);
  const event = { event: 'page_viewed', properties: { total: 120 } };
  const candidates: Candidate[] = catalog.map((action, i) => ({
    decisionId: `d-${i}`,
    action: action.id,
    source: { kind: 'placement', placement: 'home' },
    payload: {},
    event,
  }));
  const state = {
    profile: {
      traits: { tier: { value: 'gold', updatedAt: '2026-01-01T00:00:00Z' } },
      groups: {},
      anonymousIds: [],
    },
    channels: { mobile: { lastSeenAt: new Date(NOW - 60_000).toISOString() } },
    lastStoreVisit: { storeId: 'paris-9', at: new Date(NOW - 120_000).toISOString() },
  };
  return { policy, history, candidates, context: { tenantId: 'bench', customerId: 'c1', state } };
}

export function benchArbitration(report: Report): void {
  const { policy, history, candidates, context } = setup();
  let taken = 0;
  for (let i = 0; i < 200; i += 1) taken = decide(candidates, context, policy, history, NOW).taken.length; // warm-up
  const rounds = 2_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i += 1) decide(candidates, context, policy, history, NOW + i);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  report(
    'arbitration with 200 candidate actions, one core',
    `${Math.round(rounds / seconds).toLocaleString('en')} decisions/s (${Math.round((rounds * CANDIDATES) / seconds).toLocaleString('en')} candidates/s, ${taken} taken per moment)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchArbitration((measure, value) => console.log(`${measure}: ${value}`));
}
