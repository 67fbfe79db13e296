import type { z } from 'zod';
import type { FieldProblem } from '../core/errors.js';

/**
 * zod's issues, in words a marketer understands, each at the JSON path of the mistake. A union
 * (a condition, a step, the entry) reports the one alternative the input was closest to, not
 * "matches no form": `{ op: 'greater' }` is an unknown operator, not a missing `count`.
 */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], input: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) collect(issue, [], input, problems);
  return problems;
}

type Path = readonly PropertyKey[];

const valueAt = (input: unknown, path: Path): unknown =>
  path.reduce<unknown>(
    (value, key) =>
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined,
    input,
  );

const isMissing = (issue: z.core.$ZodIssue) =>
  issue.code === 'invalid_type' && issue.message.endsWith('received undefined');

/** Lower is closer: missing fields and wrong discriminators say "not this alternative". */
function distance(issues: readonly z.core.$ZodIssue[]): number {
  let score = 0;
  for (const issue of issues) {
    if (issue.code === 'invalid_union') {
      // No alternative's discriminator matched: closer than a missing field, farther than a wrong value.
      score += issue.errors.length === 0 ? 5 : Math.min(...issue.errors.map(distance));
      continue;
    }
    const key = String(issue.path.at(-1) ?? '');
    const onDiscriminator = ['kind', 'type', 'mode'].includes(key) && issue.code === 'invalid_value';
    score += isMissing(issue) || onDiscriminator ? 10 : 1;
  }
  return score;
}

function collect(issue: z.core.$ZodIssue, base: Path, input: unknown, problems: FieldProblem[]): void {
  const path = [...base, ...issue.path];
  const dotted = path.map(String).join('.');
  const label = dotted === '' ? 'The journey' : `"${dotted}"`;
  if (issue.code === 'invalid_union') {
    const branches = issue.errors;
    if (branches.length > 0) {
      const closest = [...branches].sort((a, b) => distance(a) - distance(b))[0] ?? [];
      for (const inner of closest) collect(inner, path, input, problems);
      return;
    }
    const discriminator = (issue as { discriminator?: string }).discriminator;
    const options = ((issue as { options?: unknown[] }).options ?? []).map(String).join(', ');
    const given = JSON.stringify(valueAt(input, path));
    if (discriminator === 'op') {
      problems.push({
        code: 'unknown_operator',
        path: dotted,
        message: `${given ?? 'A missing operator'} is not a condition operator. Use one of: ${options}.`,
      });
      return;
    }
    if (discriminator === 'type') {
      problems.push({
        code: 'unknown_step_type',
        path: dotted,
        message: `${given ?? 'A missing type'} is not a step type. Use one of: ${options}.`,
      });
      return;
    }
    problems.push({
      code: 'invalid_value',
      path: dotted,
      message: `${label} is not in a form Écoute understands.`,
    });
    return;
  }
  switch (issue.code) {
    case 'invalid_type': {
      if (isMissing(issue)) {
        problems.push({ code: 'required', path: dotted, message: `${label} is required.` });
        return;
      }
      const operator = path.at(-1) === 'value' ? valueAt(input, [...path.slice(0, -1), 'op']) : undefined;
      problems.push({
        code: 'wrong_type',
        path: dotted,
        message:
          typeof operator === 'string'
            ? `With the "${operator}" operator the value must be a ${issue.expected}.`
            : `${label} must be a ${issue.expected}.`,
      });
      return;
    }
    case 'invalid_value':
      problems.push({
        code: 'invalid_value',
        path: dotted,
        message: `${label} must be one of: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}.`,
      });
      return;
    case 'invalid_format':
      problems.push({
        code: 'invalid_format',
        path: dotted,
        message: `${label} should be ${issue.message}.`,
      });
      return;
    case 'too_small':
    case 'too_big':
      problems.push({ code: issue.code, path: dotted, message: `${label}: ${issue.message.toLowerCase()}.` });
      return;
    default:
      problems.push({ code: 'invalid_field', path: dotted, message: `${label}: ${issue.message}` });
  }
}
