import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Condition } from '../../schemas/condition.js';
import { Journey } from '../../schemas/journey.js';
import { compileConsentingJourneys } from './support/consenting.js';
import { CustomerHarness } from './support/journey-records.js';

/** The JSON blocks of docs/journeys.md, in order: a reader copies them, so they must be valid. */
const blocks = [...readFileSync('docs/journeys.md', 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1] as string) as unknown,
);

describe('docs/journeys.md', () => {
  it('shows a simple journey, a multi-step journey and a condition that the schemas accept and the engine compiles', () => {
    expect(blocks).toHaveLength(3);
    const [simple, multiStep, condition] = blocks;
    const journeys = [Journey.parse(simple), Journey.parse(multiStep)];
    expect(journeys.map((journey) => Object.keys(journey.steps).length)).toEqual([1, 9]);
    expect(Condition.safeParse(condition).success).toBe(true);
    expect(() => compileConsentingJourneys(journeys)).not.toThrow();
  });
});

describe('the abandoned-cart example of docs/journeys.md', () => {
  const journeys = compileConsentingJourneys([Journey.parse(blocks[1])]);
  const at = Date.parse('2024-05-02T10:00:00.000Z');

  const runFor = (tier: string) => {
    const customer = new CustomerHarness(journeys, `customer-${tier}`);
    customer.identify({ tier, timezone: 'Europe/Paris' }, at - 60_000);
    customer.track('Cart Abandoned', at, { total: 80 });
    const first = customer.fire(customer.onlyTimer());
    const timedOut = customer.fire(customer.onlyTimer());
    return {
      first: first.actions.map((fired) => fired.action),
      after: timedOut.actions.map((fired) => fired.action),
    };
  };

  it('sends the cart email or push, then calls a gold customer who did not buy within 2 days', () => {
    const gold = runFor('gold');
    expect(gold.first).toHaveLength(1);
    expect(['cart-email', 'cart-push']).toContain(gold.first[0]);
    expect(gold.after).toEqual(['call-centre-callback']);
    expect(runFor('silver').after).toEqual([]);
  });
});
