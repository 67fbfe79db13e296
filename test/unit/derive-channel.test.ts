import { describe, expect, it } from 'vitest';
import { deriveChannel, storeIdOf } from '../../lambdas/ingest/derive-channel.js';

const library = (name: string) => ({ library: { name, version: '1.0.0' } });

describe('deriveChannel', () => {
  it('takes context.channel when the sender gives it, whatever else the context says', () => {
    expect(deriveChannel({ channel: 'call_center', ...library('analytics.js'), page: {} }, undefined)).toBe(
      'call_center',
    );
    expect(deriveChannel({ channel: 'social' }, 'paris-01')).toBe('social');
  });

  it('says store when the call names a store, even from an app', () => {
    expect(deriveChannel({ app: { name: 'Shop' }, ...library('analytics-ios') }, 'paris-01')).toBe('store');
  });

  it('knows the official Segment and RudderStack libraries', () => {
    expect(deriveChannel(library('analytics.js'), undefined)).toBe('web');
    expect(deriveChannel(library('RudderLabs JavaScript SDK'), undefined)).toBe('web');
    expect(deriveChannel(library('analytics-ios'), undefined)).toBe('mobile');
    expect(deriveChannel(library('com.rudderstack.android.sdk.core'), undefined)).toBe('mobile');
    expect(deriveChannel(library('@segment/analytics-node'), undefined)).toBe('server');
    // rudder-sdk-node calls itself analytics-node.
    expect(deriveChannel(library('analytics-node'), undefined)).toBe('server');
    expect(deriveChannel(library('analytics-python'), undefined)).toBe('server');
  });

  it('recognises contact-centre and social integrations by name', () => {
    expect(deriveChannel(library('acme-twilio-flex-plugin'), undefined)).toBe('call_center');
    expect(deriveChannel(library('Genesys Cloud'), undefined)).toBe('call_center');
    expect(deriveChannel(library('whatsapp-business-bridge'), undefined)).toBe('social');
  });

  it('reads the shape of an unknown library’s context', () => {
    expect(deriveChannel({ ...library('homemade'), app: { name: 'Shop' }, userAgent: 'x' }, undefined)).toBe(
      'mobile',
    );
    expect(deriveChannel({ page: { path: '/' }, os: { name: 'Mac OS' } }, undefined)).toBe('web');
    expect(deriveChannel({ device: { model: 'Pixel' } }, undefined)).toBe('mobile');
    expect(deriveChannel({ userAgent: 'Mozilla/5.0' }, undefined)).toBe('web');
  });

  it('falls back to server', () => {
    expect(deriveChannel({}, undefined)).toBe('server');
    expect(deriveChannel({ library: 'not an object', channel: 'pos' }, undefined)).toBe('server');
  });
});

describe('storeIdOf', () => {
  it('prefers context.location.storeId, then properties, traits and context.traits', () => {
    expect(
      storeIdOf({
        context: { location: { storeId: 'a' } },
        properties: { storeId: 'b' },
        traits: { storeId: 'c' },
      }),
    ).toBe('a');
    expect(storeIdOf({ context: {}, properties: { storeId: 'b' } })).toBe('b');
    expect(storeIdOf({ context: { traits: { storeId: 'd' } }, traits: { storeId: 'c' } })).toBe('c');
    expect(storeIdOf({ context: { traits: { storeId: 'd' } } })).toBe('d');
  });

  it('ignores store ids that are not strings of 1 to 256 characters', () => {
    expect(storeIdOf({ context: {}, properties: { storeId: 12 } })).toBeUndefined();
    expect(storeIdOf({ context: {}, properties: { storeId: '' } })).toBeUndefined();
    expect(storeIdOf({ context: {}, traits: { storeId: 'x'.repeat(257) } })).toBeUndefined();
  });
});
