import { describe, expect, it } from 'vitest';
import { diffDrafts } from '../../lambdas/config-api/draft-diff.js';
import { type ValidationContext, validateJourney } from '../../lambdas/config-api/validate-journey.js';

const context: ValidationContext = { configuredChannels: new Set(['webhook']), minWaitSeconds: 60 };

const valid = {
  name: 'Cart reminder',
  entry: { kind: 'event', event: 'Cart Abandoned' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', duration: '2h', next: 'remind' },
    remind: { type: 'action', action: { id: 'send-reminder' } },
  },
};

const errorsOf = (draft: unknown, with_: ValidationContext = context) => {
  const result = validateJourney(draft, with_);
  return result.ok ? [] : result.errors;
};

describe('validateJourney', () => {
  it('accepts a valid draft and gives the journey to publish, with the lifecycle fields', () => {
    const result = validateJourney(valid, context, { id: 'cart', version: 3 });
    expect(result).toMatchObject({ ok: true, journey: { id: 'cart', version: 3, status: 'published' } });
  });

  it('accepts the simple form', () => {
    const simple = { name: 'S', trigger: { event: 'X' }, action: { id: 'a' } };
    expect(validateJourney(simple, context).ok).toBe(true);
  });

  it('refuses what is not an object', () => {
    expect(errorsOf([1, 2])).toEqual([{ code: 'wrong_type', path: '', message: expect.any(String) }]);
  });

  it('points at a missing field', () => {
    const { name: _name, ...withoutName } = valid;
    expect(errorsOf(withoutName)).toEqual([
      { code: 'required', path: 'name', message: '"name" is required.' },
    ]);
  });

  it('points at an unknown start step', () => {
    expect(errorsOf({ ...valid, start: 'nowhere' })).toContainEqual(
      expect.objectContaining({ code: 'unknown_step', path: 'start' }),
    );
  });

  it.each([
    ['next', { type: 'action', action: { id: 'a' }, next: 'ghost' }, 'steps.s.next'],
    [
      'onTimeout',
      { type: 'waitForEvent', event: 'E', timeout: '1h', onTimeout: 'ghost' },
      'steps.s.onTimeout',
    ],
    [
      'else',
      {
        type: 'branch',
        branches: [{ condition: { path: 'traits.a', op: 'exists' }, next: 'remind' }],
        else: 'ghost',
      },
      'steps.s.else',
    ],
    [
      'a branch',
      { type: 'branch', branches: [{ condition: { path: 'traits.a', op: 'exists' }, next: 'ghost' }] },
      'steps.s.branches.0.next',
    ],
    [
      'a variant',
      {
        type: 'split',
        variants: [
          { name: 'a', percent: 50, next: 'ghost' },
          { name: 'b', percent: 50 },
        ],
      },
      'steps.s.variants.0.next',
    ],
  ])('points at an unknown step in %s', (_where, step, path) => {
    const draft = {
      ...valid,
      start: 's',
      steps: { ...valid.steps, s: { ...step }, wait: { ...valid.steps.wait } },
    };
    // Keep every other step reachable so only the reference is wrong.
    (draft.steps.s as { next?: string }).next ??= 'wait';
    const errors = errorsOf(draft).filter((error) => error.code === 'unknown_step');
    expect(errors).toEqual([expect.objectContaining({ path, message: expect.stringContaining('"ghost"') })]);
  });

  it('names the steps no path reaches', () => {
    const draft = { ...valid, steps: { ...valid.steps, orphan: { type: 'exit' } } };
    expect(errorsOf(draft)).toEqual([
      {
        code: 'unreachable_step',
        path: 'steps.orphan',
        message: 'No path from the start ("wait") leads to step "orphan": customers never get there.',
      },
    ]);
  });

  it('finds a loop without a wait, and allows one through a wait', () => {
    const loop = {
      ...valid,
      start: 'a',
      steps: {
        a: { type: 'action', action: { id: 'a' }, next: 'b' },
        b: { type: 'branch', branches: [{ condition: { path: 'traits.x', op: 'exists' }, next: 'a' }] },
      },
    };
    expect(errorsOf(loop)).toEqual([
      expect.objectContaining({
        code: 'cycle_without_wait',
        message: expect.stringContaining('"a" → "b" → "a"'),
      }),
    ]);
    const withWait = {
      ...loop,
      steps: { ...loop.steps, b: { type: 'wait', duration: '1d', next: 'a' } },
    };
    expect(errorsOf(withWait)).toEqual([]);
  });

  /** The valid journey, starting with a split step `s` of these variants. */
  const startingWithSplit = (variants: Record<string, unknown>[]) => ({
    ...valid,
    start: 's',
    steps: { ...valid.steps, s: { type: 'split', variants } },
  });

  it('says what the split variants add up to', () => {
    const draft = startingWithSplit([
      { name: 'a', percent: 50, next: 'wait' },
      { name: 'b', percent: 40 },
    ]);
    expect(errorsOf(draft)).toEqual([
      {
        code: 'split_not_100',
        path: 'steps.s.variants',
        message: 'The variants of split "s" add up to 90%, not 100%.',
      },
    ]);
  });

  it('refuses a variant named like the holdout group, and two variants of one name', () => {
    const draft = startingWithSplit([
      { name: 'a', percent: 40, next: 'wait' },
      { name: 'holdout', percent: 30 },
      { name: 'a', percent: 30 },
    ]);
    expect(errorsOf(draft)).toEqual([
      {
        code: 'variant_name_reserved',
        path: 'steps.s.variants.1.name',
        message: '"holdout" names the holdout group in reports: give this variant another name.',
      },
      {
        code: 'variant_name_repeated',
        path: 'steps.s.variants.2.name',
        message: 'Split "s" has two variants named "a": each needs its own name.',
      },
    ]);
  });

  it('names an unknown operator and lists the known ones', () => {
    const draft = {
      ...valid,
      entry: { ...valid.entry, condition: { path: 'properties.total', op: 'greater', value: 5 } },
    };
    expect(errorsOf(draft)).toEqual([
      {
        code: 'unknown_operator',
        path: 'entry.condition.op',
        message: expect.stringMatching(/^"greater" is not a condition operator\. Use one of: eq, neq, gt/),
      },
    ]);
  });

  it('says which type a comparison needs', () => {
    const condition = { path: 'properties.total', op: 'gt', value: 'fifty' };
    const draft = { ...valid, entry: { ...valid.entry, condition: { all: [condition] } } };
    expect(errorsOf(draft)).toEqual([
      {
        code: 'wrong_type',
        path: 'entry.condition.all.0.value',
        message: 'With the "gt" operator the value must be a number.',
      },
    ]);
  });

  it('refuses waits and timeouts shorter than allowed, and a wait with no end', () => {
    const draft = {
      ...valid,
      steps: {
        wait: { type: 'wait', duration: '30s', next: 'w2' },
        w2: { type: 'waitForEvent', event: 'E', timeout: '10s', next: 'w3' },
        w3: { type: 'wait', next: 'remind' },
        remind: valid.steps.remind,
      },
    };
    expect(errorsOf(draft).map((error) => [error.code, error.path])).toEqual([
      ['wait_too_short', 'steps.wait.duration'],
      ['wait_too_short', 'steps.w2.timeout'],
      ['wait_without_end', 'steps.w3'],
    ]);
    expect(errorsOf(draft, { ...context, minWaitSeconds: 0 }).map((error) => error.code)).toEqual([
      'wait_without_end',
    ]);
  });

  it('refuses an action on a channel with no webhook, at the field of the simple form too', () => {
    const none = { ...context, configuredChannels: new Set<string>() };
    expect(errorsOf(valid, none)).toEqual([
      expect.objectContaining({ code: 'channel_not_configured', path: 'steps.remind.action.channel' }),
    ]);
    const simple = { name: 'S', trigger: { event: 'X' }, action: { id: 'a' } };
    expect(errorsOf(simple, none)).toEqual([
      expect.objectContaining({ code: 'channel_not_configured', path: 'action.channel' }),
    ]);
  });
});

describe('validateJourney, action catalog', () => {
  it('refuses an action id not in the catalog, once the tenant has one', () => {
    const catalog = { ...context, actionCatalog: new Set(['send-coupon']) };
    expect(errorsOf(valid, catalog)).toEqual([
      {
        code: 'unknown_action',
        path: 'steps.remind.action.id',
        message:
          'Action "send-reminder" is not in the action catalog: add it there first, or pick one of "send-coupon".',
      },
    ]);
    expect(errorsOf(valid, { ...context, actionCatalog: new Set() })).toEqual([]);
    expect(errorsOf(valid, { ...context, actionCatalog: new Set(['send-reminder']) })).toEqual([]);
  });
});

describe('validateJourney, storage', () => {
  it('refuses a number DynamoDB cannot store, at its path', () => {
    const draft = {
      ...valid,
      steps: { ...valid.steps, remind: { type: 'action', action: { id: 'a', payload: { tiny: 5e-324 } } } },
    };
    expect(errorsOf(draft)).toEqual([
      expect.objectContaining({ code: 'number_out_of_range', path: 'steps.remind.action.payload.tiny' }),
    ]);
  });
});

describe('diffDrafts', () => {
  it('lists changed, added and removed leaves by dotted path', () => {
    expect(
      diffDrafts({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1, 3] }, e: true }).changes,
    ).toEqual([
      { path: 'a', from: 1, to: 2 },
      { path: 'b.c.1', from: 2, to: 3 },
      { path: 'd', from: 'x' },
      { path: 'e', to: true },
    ]);
  });

  it('truncates a rewrite of everything', () => {
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i]));
    const diff = diffDrafts({}, many);
    expect(diff.changes).toHaveLength(50);
    expect(diff.truncated).toBe(true);
  });
});
