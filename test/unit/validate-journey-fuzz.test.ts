import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateJourney } from '../../lambdas/config-api/simulate-journey.js';
import { validateJourney } from '../../lambdas/config-api/validate-journey.js';
import { Journey } from '../../schemas/journey.js';
import { journeyDraft } from './support/journey-drafts.js';

const context = { configuredChannels: new Set(['webhook']), minWaitSeconds: 60 };

describe('validateJourney, fuzzed', () => {
  it('never throws, and every problem has a code, a path and a sentence', () => {
    fc.assert(
      fc.property(fc.oneof(journeyDraft, fc.jsonValue({ maxDepth: 4 })), (draft) => {
        const result = validateJourney(draft, context);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const error of result.errors) {
          expect(error.code).toMatch(/^[a-z0-9_]+$/);
          expect(typeof error.path).toBe('string');
          expect(error.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('only passes journeys the engine accepts and can run without throwing', () => {
    let passed = 0;
    fc.assert(
      fc.property(journeyDraft, (draft) => {
        const result = validateJourney(draft, context, { id: 'fuzz', version: 1 });
        if (!result.ok) return;
        passed += 1;
        expect(Journey.safeParse(result.journey).success).toBe(true);
        const run = simulateJourney('acme', result.journey, 'draft', {
          profile: { tier: 'gold' },
          events: [
            { at: '2026-11-01T10:00:00Z', event: 'Cart Abandoned', properties: { total: 80 } },
            { at: '2026-11-01T11:00:00Z', event: 'Order Completed' },
          ],
        });
        expect(run.journeyId).toBe('fuzz');
      }),
      { numRuns: 2_000 },
    );
    // The generator must reach the valid side too, or this test proves nothing.
    expect(passed).toBeGreaterThan(20);
  });
});
