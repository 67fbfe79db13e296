import fc from 'fast-check';

/**
 * Journey drafts shaped like the real thing, mostly right and wrong in the ways a person can
 * be: step ids from a small pool (so references sometimes dangle and sometimes loop), now and
 * then an unknown operator or step type, a bad duration, a value of the wrong type, a missing
 * field. About one draft in ten passes validation, so both sides are exercised.
 */
const noisy = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalid, weight: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const stepId = noisy(fc.constantFrom('a', 'b', 'c', 'd'), fc.constant('ghost'));
const duration = noisy(fc.constantFrom('1m', '30m', '2h', '7d'), fc.constantFrom('10s', 'soon', '', 42));
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
const path = fc.constantFrom('properties.total', 'traits.tier', 'event');
const comparison = fc.oneof(
  fc.record({ path, op: fc.constantFrom('eq', 'neq'), value: scalar }),
  fc.record({ path, op: fc.constantFrom('gt', 'lte'), value: noisy(fc.integer(), fc.constant('fifty')) }),
  fc.record({ path, op: fc.constant('in'), value: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ path, op: fc.constantFrom('exists', 'notExists') }),
  fc.record({ path, op: fc.constant('within'), duration }),
  fc.record({ path, op: fc.constantFrom('greater', 'like'), value: scalar }),
);
const condition = fc.oneof(
  comparison,
  fc.record({ all: fc.array(comparison, { minLength: 1, maxLength: 2 }) }),
);
const action = fc.record({
  id: noisy(fc.constant('send'), fc.constant('Bad Id')),
  payload: maybe(fc.jsonValue({ maxDepth: 1 })),
});
const step = noisy(
  fc.oneof(
    fc.record({ type: fc.constant('action'), action, next: maybe(stepId) }),
    fc.record({ type: fc.constant('wait'), duration: maybe(duration), next: maybe(stepId) }),
    fc.record({
      type: fc.constant('waitForEvent'),
      event: fc.constant('Order Completed'),
      timeout: duration,
      next: maybe(stepId),
      onTimeout: maybe(stepId),
    }),
    fc.record({
      type: fc.constant('branch'),
      branches: fc.array(fc.record({ condition, next: stepId }), { minLength: 1, maxLength: 2 }),
      else: maybe(stepId),
    }),
    fc.record({
      type: fc.constant('split'),
      variants: fc.constantFrom(
        [
          { name: 'a', percent: 50, next: 'a' },
          { name: 'b', percent: 50, next: 'b' },
        ],
        [
          { name: 'a', percent: 50, next: 'c' },
          { name: 'b', percent: 40 },
        ],
      ),
    }),
    fc.record({
      type: fc.constant('holdout'),
      percent: fc.integer({ min: 0, max: 100 }),
      next: maybe(stepId),
    }),
    fc.constant({ type: 'exit' }),
  ),
  fc.record({ type: fc.constantFrom('jump', 42) }),
);

export const journeyDraft: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    name: noisy(fc.constant('Journey'), fc.constantFrom('', 7)),
    entry: noisy(
      fc.oneof(
        fc.record({
          kind: fc.constant('event'),
          event: fc.constant('Cart Abandoned'),
          condition: maybe(condition),
        }),
        fc.record({ kind: fc.constant('profile'), condition }),
      ),
      fc.constant({ kind: 'sometimes' }),
    ),
    start: fc.constant('a'),
    steps: fc
      .tuple(step, fc.dictionary(stepId, step, { maxKeys: 3 }))
      .map(([start, others]) => ({ ...others, a: start })),
    goal: maybe(fc.record({ event: fc.constant('Order Completed'), within: duration })),
  },
  { requiredKeys: ['name', 'entry', 'start', 'steps'] },
);
