import * as z from 'zod';

/** Identifiers chosen by Écoute's users (tenants, journeys, actions): URL- and key-safe. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "-" and "_"');

/** ISO-8601 date-time with an offset or `Z`, as Segment sends. */
export const IsoDateTime = z.iso.datetime({ offset: true });

/** A free-form JSON object (event properties, context, payloads). */
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObject>;
