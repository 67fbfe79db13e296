import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ROUTE_KEYS } from '../../lambdas/config-api/handler.js';
import { openApiDocument, ROUTE_DOCS } from '../../lambdas/config-api/openapi-document.js';
import { validateJourney } from '../../lambdas/config-api/validate-journey.js';
import { HTTP_ROUTES } from '../../lambdas/http/routes.js';

type Operation = { requestBody?: unknown; responses: Record<string, unknown>; security: unknown[] };
const document = openApiDocument() as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

/** Every `curl` of the README with its method, path and `-d` body (continuation lines joined). */
function readmeExamples(): { method: string; path: string; body: unknown }[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\\\n\s*/g, ' ');
  const examples: { method: string; path: string; body: unknown }[] = [];
  for (const line of readme.split('\n')) {
    if (!line.trimStart().startsWith('curl ')) continue;
    const url = line.match(/https?:\/\/[^/\s]+(\/v1\/[^\s'"?]*)/);
    if (url?.[1] === undefined) continue;
    const body = line.match(/ -d '([^']*)'/)?.[1];
    const method = line.match(/-X (\w+)/)?.[1] ?? (body === undefined ? 'GET' : 'POST');
    examples.push({ method, path: url[1], body: body === undefined ? undefined : JSON.parse(body) });
  }
  return examples;
}

function routeOf(method: string, path: string) {
  return HTTP_ROUTES.find(
    (route) =>
      route.method === method && new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
  );
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes every route of HTTP_ROUTES, and only those', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of HTTP_ROUTES)
      expect(
        document.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    const routeKeys = HTTP_ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual([...routeKeys].sort());
  });

  it('has an answer in the config function for each of its routes', () => {
    const configRoutes = HTTP_ROUTES.filter((route) => route.fn === 'config-api')
      .map((route) => `${route.method} ${route.path}`)
      .filter((key) => key !== 'GET /v1/openapi.json');
    expect([...CONFIG_ROUTE_KEYS].sort()).toEqual(configRoutes.sort());
  });

  it('resolves every $ref within the document', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('#/$defs');
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(document.components.schemas, String(name)).toHaveProperty(String(name));
  });

  it('asks for a key on every route but itself', () => {
    for (const route of HTTP_ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.security.length, `${route.method} ${route.path}`).toBe(
        route.path === '/v1/openapi.json' ? 0 : 1,
      );
    }
  });
});

describe('the README examples', () => {
  const examples = readmeExamples();

  it('cover tracking, customers and the config API', () => {
    const paths = examples.map((example) => `${example.method} ${example.path}`);
    for (const expected of [
      'POST /v1/track',
      'POST /v1/api-keys',
      'PUT /v1/journeys/',
      'POST /v1/journeys/cart-rescue/simulate',
    ])
      expect(
        paths.some((path) => path.startsWith(expected)),
        expected,
      ).toBe(true);
  });

  it.each(examples.map((example) => [`${example.method} ${example.path}`, example] as const))(
    '%s names a documented route and its body matches the schema',
    (_name, example) => {
      const route = routeOf(example.method, example.path);
      expect(route).toBeDefined();
      const doc = ROUTE_DOCS[`${route?.method} ${route?.path}`];
      if (example.body === undefined) return;
      expect(doc?.request, 'a body for a route that takes none').toBeDefined();
      const result = doc?.request?.safeParse(example.body);
      expect(result?.error?.issues ?? []).toEqual([]);
      // A draft may be anything; the README's must also be publishable.
      if (route?.path === '/v1/journeys/{journeyId}') {
        const published = validateJourney(example.body, {
          configuredChannels: new Set(['webhook']),
          minWaitSeconds: 60,
        });
        expect(published.ok ? [] : published.errors).toEqual([]);
      }
    },
  );
});
