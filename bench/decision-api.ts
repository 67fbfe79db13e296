/**
 * Decision API figures for `npm run bench` (bench/run.ts calls `benchDecisionApi`): p50/p99 of
 * `GET /v1/decide` at 100 requests/s through the local HTTP server (the whole local stack, its
 * stream pollers included, on DynamoDB Local), then the most it answers with 10 connections.
 *
 * Each request reads the customer's state and caps (two GetItems) and, when an offer is shown,
 * writes the caps item and the decision in one transaction. 500 customers known through the
 * tracking API, half of them gold (eligible for the richer offer), three offers on the placement,
 * each capped at 20 impressions a day: every request shows an offer and writes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

type Report = (measure: string, value: string) => void;

const CUSTOMERS = 500;
/** A placement of the bench's own: the demo tenant's seeded offers stay out of it. */
const PLACEMENT = 'bench-hero';

export async function benchDecisionApi(report: Report): Promise<void> {
  // A warm function keeps its write keys and policy cached; so does this one, for the whole run.
  process.env.CONFIG_CACHE_SECONDS = '60';
  const { startLocalStack } = await import('../scripts/local/local-stack.js');
  const stack = await startLocalStack({
    port: 0,
    aws: { start: {} },
    dataDir: mkdtempSync(path.join(tmpdir(), 'bench-decide-')),
    print: () => undefined,
  });
  try {
    const { loadTenant, putTenant } = await import('../lambdas/adapters/config-store.js');
    const { putActionDefinition } = await import('../lambdas/adapters/action-catalog-store.js');
    const { getConfigDocument, putConfigDocument } = await import(
      '../lambdas/adapters/config-document-store.js'
    );
    const { loadCustomerState } = await import('../lambdas/adapters/customer-store.js');
    const { ActionDefinition } = await import('../schemas/config-api.js');
    const tenantId = stack.tenantId;
    const tenant = await loadTenant(tenantId);
    if (tenant === null) throw new Error('the demo tenant is missing');
    await putTenant({ ...tenant, limits: { eventsPerSecond: 1_000_000 } });
    const offer = (id: string, fields: Record<string, unknown>) =>
      putActionDefinition(
        tenantId,
        ActionDefinition.parse({
          id,
          name: id,
          revision: 1,
          updatedAt: new Date().toISOString(),
          updatedBy: 'bench',
          purpose: 'service',
          channels: ['web', 'mobile'],
          placements: [PLACEMENT],
          caps: [{ max: 20, per: '1d' }],
          ...fields,
        }),
        undefined,
        [],
      );
    await offer('gold-upsell', {
      value: 20,
      content: { title: 'Hello {{ traits.firstName | default: "there" }}, gold members save 20%' },
      eligibility: { path: 'traits.tier', op: 'eq', value: 'gold' },
    });
    await offer('newsletter', { value: 2, content: { title: 'Join our newsletter' } });
    await offer('app-download', { value: 5, channels: ['web'], propensity: { kind: 'static', score: 0.2 } });
    // Over the demo's settings (seeded at start): events kept (analytics), the offers' purpose granted.
    const seeded = (await getConfigDocument(tenantId, 'settings'))?.revision ?? 0;
    const settings = { consentDefaults: { analytics: true, service: true } };
    await putConfigDocument(tenantId, 'settings', settings, seeded, {
      by: 'bench',
      now: new Date(),
      changes: [],
      truncated: false,
    });

    // Customers known to Écoute, through the tracking API and the processor.
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    for (let first = 0; first < CUSTOMERS; first += 100) {
      const batch = Array.from({ length: 100 }, (_, i) => ({
        type: 'identify',
        userId: `bench-${first + i}`,
        traits: { tier: (first + i) % 2 === 0 ? 'gold' : 'silver', firstName: `Name${first + i}` },
      }));
      const answer = await fetch(`${stack.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ batch }),
      });
      if (!answer.ok) throw new Error(`batch answered ${answer.status}`);
    }
    const deadline = Date.now() + 60_000;
    while ((await loadCustomerState(tenantId, `bench-${CUSTOMERS - 1}`)) === undefined) {
      if (Date.now() > deadline) throw new Error('the customers were not applied within a minute');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Warm-up: the first requests load the policy and open connections.
    await load(stack.url, auth, { overallRate: 50, duration: 2 });
    const paced = await load(stack.url, auth, { overallRate: 100, duration: 20 });
    report(
      'decision API at 100 req/s, local HTTP server (DynamoDB Local)',
      `p50 ${paced.result.latency.p50} ms, p90 ${paced.result.latency.p90} ms, p99 ${paced.result.latency.p99} ms, ` +
        `max ${paced.result.latency.max} ms (${paced.result.requests.total} requests: ${paced.shown} offers shown, ` +
        `${paced.none} none${paced.result.non2xx > 0 ? `, ${paced.result.non2xx} answers not 2xx` : ''})`,
    );
    // The same server answering one GetItem per request, as a yardstick for this machine's load.
    const profile = await autocannon({
      url: `${stack.url}/v1/customers/bench-1`,
      headers: { authorization: auth },
      connections: 10,
      overallRate: 100,
      duration: 10,
    });
    report(
      'yardstick: GET /v1/customers/{id} at 100 req/s, same server',
      `p50 ${profile.latency.p50} ms, p99 ${profile.latency.p99} ms (${profile.requests.total} requests)`,
    );
    await singleRequestBreakdown(stack.url, auth, report);
    const flat = await load(stack.url, auth, { duration: 8 });
    report(
      'decision API, most it answers, autocannon 10 connections',
      `${Math.round(flat.result.requests.average).toLocaleString('en')} requests/s, p50 ${flat.result.latency.p50} ms, ` +
        `p99 ${flat.result.latency.p99} ms${flat.result.non2xx > 0 ? `, ${flat.result.non2xx} answers not 2xx` : ''}`,
    );
  } finally {
    await stack.stop();
  }
}

/** Pull requests over the customers in turn, at `overallRate` (or as fast as answered), counting outcomes. */
function load(
  url: string,
  auth: string,
  options: { overallRate?: number; duration: number },
): Promise<{ result: autocannon.Result; shown: number; none: number }> {
  let counter = 0;
  let shown = 0;
  let none = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 10,
        ...options,
        requests: [
          {
            method: 'GET',
            headers: { authorization: auth },
            setupRequest: (request) => {
              counter += 1;
              return {
                ...request,
                path: `/v1/decide?customerId=bench-${counter % CUSTOMERS}&channel=web&placement=${PLACEMENT}`,
              };
            },
            onResponse: (status, body) => {
              if (status !== 200) return;
              if (body.startsWith('{"decision":null')) none += 1;
              else shown += 1;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, shown, none })),
    );
  });
}

/**
 * One request at a time (no concurrency, no queueing), side by side: the plain read route
 * (`GET /v1/customers/{id}`: one consistent Query of the customer's state items),
 * a decision that shows an offer (two GetItems, the decision, one transaction), and the same
 * decision replayed with its requestId (the reads and the decision, nothing written).
 */
async function singleRequestBreakdown(url: string, auth: string, report: Report): Promise<void> {
  const ROUNDS = 300;
  const p50 = async (path: (i: number) => string) => {
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const started = performance.now();
      const answer = await fetch(`${url}${path(i)}`, { headers: { authorization: auth } });
      await answer.arrayBuffer();
      if (answer.status !== 200) throw new Error(`${path(i)} answered ${answer.status}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(ROUNDS / 2)] ?? 0, p99: times[Math.floor(ROUNDS * 0.99)] ?? 0 };
  };
  // Customers the paced load did not cap yet (20 a day each): every decision below shows an offer.
  const customer = (i: number) => `bench-${i % CUSTOMERS}`;
  const decide = (i: number, requestId: string) =>
    `/v1/decide?customerId=${customer(i)}&channel=web&placement=${PLACEMENT}&requestId=${requestId}`;
  const getItem = await p50((i) => `/v1/customers/${customer(i)}`);
  const shown = await p50((i) => decide(i, `single-${i}`));
  const replayed = await p50((i) => decide(i, `single-${i}`));
  const ms = (value: number) => value.toFixed(1);
  report(
    'single request, one at a time: GET /v1/customers/{id} (one state read) vs GET /v1/decide',
    `read route p50 ${ms(getItem.p50)} ms (p99 ${ms(getItem.p99)}); decide showing an offer p50 ` +
      `${ms(shown.p50)} ms (p99 ${ms(shown.p99)}), ${(shown.p50 / getItem.p50).toFixed(1)}× the read route; ` +
      `decide replayed (reads + decision, no write) p50 ${ms(replayed.p50)} ms, ${(replayed.p50 / getItem.p50).toFixed(1)}×`,
  );
}
