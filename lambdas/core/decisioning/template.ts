import type { JsonObject } from '../../../schemas/common.js';

/**
 * The content template language: `{{ path }}` and `{{ path | default: "text" }}`, nothing else.
 * A dozen lines of grammar, written here rather than taken from LiquidJS or Handlebars: the
 * grammar itself cannot express a call, a loop or an assignment, so there is no code to execute
 * and no sandbox to escape; a missing value renders its default (or nothing) and never fails.
 *
 * Paths read own properties only (`traits.firstName`, `properties.cart.total`, `context.locale`,
 * `event`): `constructor` or `__proto__` find nothing.
 *
 * @example
 * renderTemplate('Hi {{ traits.firstName | default: "there" }}', { traits: {} }) // 'Hi there'
 */
const PLACEHOLDER =
  /\{\{\s*([A-Za-z0-9_$.-]+)\s*(?:\|\s*default:\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?))\s*)?\}\}/g;

export type TemplateScope = Readonly<Record<string, unknown>>;

function valueAt(scope: TemplateScope, path: string): unknown {
  let current: unknown = scope;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length === 0 ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  // Objects and arrays are not spliced into text: that would leak whole records into a message.
  return undefined;
}

/** Renders one string: every placeholder replaced by its value, its default, or nothing. */
export function renderTemplate(template: string, scope: TemplateScope): string {
  return template.replace(
    PLACEHOLDER,
    (_match, path: string, double?: string, single?: string, num?: string) => {
      return asText(valueAt(scope, path)) ?? double ?? single ?? num ?? '';
    },
  );
}

function renderValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return renderTemplate(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope));
  if (value !== null && typeof value === 'object') return renderContent(value as JsonObject, scope);
  return value;
}

/** Renders every string inside a content object (keys are left as they are). */
export function renderContent(content: JsonObject, scope: TemplateScope): JsonObject {
  const rendered: JsonObject = {};
  for (const [key, value] of Object.entries(content)) rendered[key] = renderValue(value, scope);
  return rendered;
}
