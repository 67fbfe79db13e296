import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePrivacyToken,
  PrivacyTokenError,
  signPrivacyToken,
  verifyPrivacyToken,
} from '../../lambdas/core/privacy/privacy-token.js';

const SECRET = 'a-tenant-privacy-secret-of-some-length';
const NOW = 1_790_000_000;
const sign = (claims: Partial<{ iat: number; exp: number; customerId: string }> = {}, overrides = {}) =>
  signPrivacyToken(
    {
      tenantId: 'acme',
      customerId: claims.customerId ?? 'claire',
      iat: claims.iat ?? NOW - 10,
      exp: claims.exp ?? NOW + 600,
    },
    'pk_0123456789abcdef',
    SECRET,
    overrides,
  );

function problemOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof PrivacyTokenError) return error.code;
    throw error;
  }
}
const verify = (token: string | undefined, secret: string | undefined = SECRET, now = NOW) =>
  verifyPrivacyToken(decodePrivacyToken(token), secret, now);

describe('privacy tokens', () => {
  it('verify: the subject and tenant come from a token signed with the tenant key', () => {
    const token = sign();
    expect(decodePrivacyToken(token)).toMatchObject({ kid: 'pk_0123456789abcdef', tenantId: 'acme' });
    expect(verify(token)).toMatchObject({ sub: 'claire', tid: 'acme' });
  });

  it('refuse with the code that says why', () => {
    expect(problemOf(() => verify(undefined))).toBe('token_missing');
    expect(problemOf(() => verify(''))).toBe('token_missing');
    expect(problemOf(() => verify('a.b'))).toBe('token_invalid');
    expect(problemOf(() => verify(sign(), 'another-secret'))).toBe('token_invalid');
    // No live key of the tenant by that kid.
    expect(problemOf(() => verifyPrivacyToken(decodePrivacyToken(sign()), undefined, NOW))).toBe(
      'token_invalid',
    );
    expect(problemOf(() => verify(sign({ exp: NOW })))).toBe('token_expired');
    expect(problemOf(() => verify(sign({ iat: NOW, exp: NOW + 3_601 })))).toBe('token_invalid');
    expect(problemOf(() => verify(sign({ iat: NOW + 600, exp: NOW + 900 })))).toBe('token_invalid');
    expect(problemOf(() => verify(sign({}, { iss: 'someone' })))).toBe('token_invalid');
    expect(problemOf(() => verify(sign({}, { aud: 'someone' })))).toBe('token_invalid');
    const [header = '', payload = '', signature = ''] = sign().split('.');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', kid: 'pk_0123456789abcdef' })).toString(
      'base64url',
    );
    expect(problemOf(() => verify(`${noneHeader}.${payload}.`))).toBe('token_invalid');
    expect(problemOf(() => verify(`${header}.${payload}.`))).toBe('token_invalid');
    expect(problemOf(() => verify(`${header}.${payload}.${signature}x`))).toBe('token_invalid');
  });

  it('refuse any change to the claims: another customer cannot be named without the key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (other) => {
        fc.pre(other !== 'claire');
        const [header = '', , signature = ''] = sign().split('.');
        const [, forgedPayload = ''] = sign({ customerId: other }).split('.');
        expect(problemOf(() => verify(`${header}.${forgedPayload}.${signature}`))).toBe('token_invalid');
      }),
    );
  });
});
