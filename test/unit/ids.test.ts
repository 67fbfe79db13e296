import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lambdas/core/digest.js';
import { actionIdFor, customerRef, instanceIdFor, timerIdFor } from '../../lambdas/core/ids.js';

// Ids are persisted (states, timers, actions, receivers' idempotency keys): their bytes must never
// change, whatever computes the digest. These are the formulas they were first written with.
const digest = (encoding: 'hex' | 'base64url', ...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest(encoding);

describe('ids', () => {
  const texts = ['', 'a', 'customer-1', 'ç€😀 non-ASCII', 'x'.repeat(200)];

  it('sha256 encodes as createHash does, ASCII or not, short or long', () => {
    for (const text of texts) {
      expect(sha256(text, 'hex')).toBe(createHash('sha256').update(text).digest('hex'));
      expect(sha256(text, 'base64url')).toBe(createHash('sha256').update(text).digest('base64url'));
    }
  });

  it('keeps the bytes of instance, action and timer ids and customer refs', () => {
    for (const text of texts) {
      const instanceId = instanceIdFor(text, 'journey', `${text}-message`);
      expect(instanceId).toBe(
        `journey:${digest('base64url', text, 'journey', `${text}-message`).slice(0, 16)}`,
      );
      expect(actionIdFor('tenant', text, instanceId, 'cause', 'step')).toBe(
        digest('hex', 'tenant', text, instanceId, 'cause', 'step').slice(0, 32),
      );
      expect(timerIdFor(instanceId, 'step', text)).toBe(
        `t:${digest('base64url', instanceId, 'step', text).slice(0, 22)}`,
      );
      expect(customerRef('tenant', text)).toBe(digest('hex', `tenant#${text}`).slice(0, 12));
    }
    // A known value, computed once: a regression in the formulas above shows here too.
    expect(instanceIdFor('customer-1', 'welcome', 'm-1')).toBe('welcome:9EpUErQAjVqHoTnw');
  });
});
