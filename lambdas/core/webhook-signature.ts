import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `Ecoute-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * Signing the timestamp with the body lets receivers refuse replays of old deliveries.
 */
export const SIGNATURE_HEADER = 'ecoute-signature';

export function signWebhookBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver runs (documented in the README): true when the signature matches and is no
 * older than `toleranceSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | undefined,
  nowUnixSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || given === undefined) return false;
  if (Math.abs(nowUnixSeconds - timestamp) > toleranceSeconds) return false;
  const expected = signWebhookBody(secret, body, timestamp).split('v1=')[1] ?? '';
  // timingSafeEqual needs buffers of equal byte length; a non-ASCII header must fail, not throw.
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}
