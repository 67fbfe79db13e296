/** Placeholder until the generated document lands. */
export function openApiDocument(): Record<string, unknown> {
  return { openapi: '3.1.0', info: { title: 'Écoute API', version: '1' }, paths: {} };
}
