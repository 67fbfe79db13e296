import { createHmac, timingSafeEqual } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../lambdas/core/webhook-signature.js';

const secret = 'whsec_0123456789abcdef';
const body = JSON.stringify({ actionId: 'a'.repeat(32), payload: { message: 'Café ☕' } });
const signedAt = 1_714_564_800;

/**
 * A receiver written only from the documented format, as a tenant would:
 * `ecoute-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 */
function receiverAccepts(
  headers: Record<string, string>,
  rawBody: string,
  webhookSecret: string,
  nowUnixSeconds: number,
): boolean {
  const header = headers['ecoute-signature'];
  if (header === undefined) return false;
  const fields = Object.fromEntries(
    header
      .split(',')
      .map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]),
  );
  const t = fields.t;
  const v1 = fields.v1;
  if (t === undefined || v1 === undefined || !/^\d+$/.test(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowUnixSeconds - Number(t)) > 300) return false;
  const expected = createHmac('sha256', webhookSecret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

describe('webhook signatures', () => {
  it('produce a header in the documented shape', () => {
    expect(SIGNATURE_HEADER).toBe('ecoute-signature');
    expect(signWebhookBody(secret, body, signedAt)).toMatch(/^t=1714564800,v1=[0-9a-f]{64}$/);
  });

  it('verify for the secret and body they were made with', () => {
    const header = signWebhookBody(secret, body, signedAt);
    expect(verifyWebhookSignature(secret, body, header, signedAt)).toBe(true);
    expect(verifyWebhookSignature(secret, body, header, signedAt + 300)).toBe(true);
    expect(verifyWebhookSignature(secret, body, header, signedAt - 300)).toBe(true);
  });

  it('fail for a tampered body', () => {
    const header = signWebhookBody(secret, body, signedAt);
    expect(verifyWebhookSignature(secret, body.replace('Café', 'Cafe'), header, signedAt)).toBe(false);
    expect(verifyWebhookSignature(secret, `${body} `, header, signedAt)).toBe(false);
  });

  it('fail for a tampered timestamp, even within the tolerance', () => {
    const header = signWebhookBody(secret, body, signedAt).replace(`t=${signedAt}`, `t=${signedAt + 1}`);
    expect(verifyWebhookSignature(secret, body, header, signedAt)).toBe(false);
  });

  it('fail with another secret', () => {
    const header = signWebhookBody(secret, body, signedAt);
    expect(verifyWebhookSignature('whsec_another-secret-value', body, header, signedAt)).toBe(false);
  });

  it('fail once older or newer than the tolerance', () => {
    const header = signWebhookBody(secret, body, signedAt);
    expect(verifyWebhookSignature(secret, body, header, signedAt + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, signedAt - 301)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, signedAt + 60, 59)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, signedAt + 60, 60)).toBe(true);
  });

  it('fail for a missing or malformed header', () => {
    const header = signWebhookBody(secret, body, signedAt);
    const mac = header.split('v1=')[1] ?? '';
    const malformed = [
      undefined,
      '',
      'garbage',
      `v1=${mac}`,
      `t=${signedAt}`,
      `t=${signedAt},v1=`,
      `t=${signedAt},v1=${mac.slice(0, -1)}`,
      `t=${signedAt},v1=${mac.toUpperCase()}`,
      `t=${signedAt},v0=${mac}`,
      `t=abc,v1=${mac}`,
      `t=${signedAt}.5,v1=${mac}`,
    ];
    for (const candidate of malformed) {
      expect(verifyWebhookSignature(secret, body, candidate, signedAt), String(candidate)).toBe(false);
    }
  });

  // Lengths are compared in bytes, as timingSafeEqual requires.
  it('fail, without throwing, for a v1 of 64 non-ASCII characters', () => {
    expect(verifyWebhookSignature(secret, body, `t=${signedAt},v1=${'é'.repeat(64)}`, signedAt)).toBe(false);
  });

  it('are accepted by a receiver written from the documented format alone', () => {
    const header = signWebhookBody(secret, body, signedAt);
    expect(receiverAccepts({ 'ecoute-signature': header }, body, secret, signedAt + 10)).toBe(true);
    expect(receiverAccepts({ 'ecoute-signature': header }, `${body}x`, secret, signedAt + 10)).toBe(false);
    expect(receiverAccepts({ 'ecoute-signature': header }, body, `${secret}x`, signedAt + 10)).toBe(false);
  });

  it('agree with the documented format for any body, secret and time', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 16, maxLength: 64 }),
        fc.string({ unit: 'binary', maxLength: 500 }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        (anySecret, anyBody, unixSeconds) => {
          const header = signWebhookBody(anySecret, anyBody, unixSeconds);
          expect(receiverAccepts({ [SIGNATURE_HEADER]: header }, anyBody, anySecret, unixSeconds)).toBe(true);
          expect(verifyWebhookSignature(anySecret, anyBody, header, unixSeconds)).toBe(true);
        },
      ),
    );
  });
});
