import { describe, expect, it } from 'vitest';
import { checkWebhookAddress, checkWebhookUrl } from '../../lambdas/core/webhook-url-safety.js';

const aws = { allowPrivate: false };
const local = { allowPrivate: true };

describe('webhook URLs in AWS', () => {
  it.each([
    'https://hooks.example.com/ecoute',
    'https://hooks.example.com:8443/ecoute?tenant=a',
    'https://93.184.215.14/x',
    'https://[2606:4700:4700::1111]/x',
  ])('accepts the public https URL %s', (url) => {
    expect(checkWebhookUrl(url, aws)).toEqual({ safe: true });
  });

  it.each([
    ['http://hooks.example.com/x', 'scheme'],
    ['ftp://hooks.example.com/x', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://127.0.0.1:6379/_x', 'scheme'],
    ['https://user:pass@hooks.example.com/x', 'credentials'],
    ['not a url', 'not a URL'],
  ])('refuses %s (%s)', (url, why) => {
    const verdict = checkWebhookUrl(url, aws);
    expect(verdict.safe).toBe(false);
    expect(verdict.safe ? '' : verdict.reason).toContain(why);
  });

  it.each([
    ['https://10.0.0.1/', 'private 10/8'],
    ['https://172.16.0.1/', 'private 172.16/12'],
    ['https://172.31.255.255/', 'private 172.16/12, its top'],
    ['https://192.168.1.1/', 'private 192.168/16'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://127.255.0.9/', 'loopback, anywhere in 127/8'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://0/', 'unspecified, as one number'],
    ['https://100.64.0.1/', 'CGNAT'],
    ['https://100.100.100.200/', 'Alibaba metadata (CGNAT)'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local metadata'],
    ['https://169.254.10.10/', 'link-local'],
    ['https://2130706433/', 'decimal IPv4 trick'],
    ['https://0x7f.1/', 'hex IPv4 trick'],
    ['https://0x7f000001/', 'hex number IPv4 trick'],
    ['https://0177.0.0.1/', 'octal IPv4 trick'],
    ['https://127.1/', 'short IPv4 form'],
    ['https://[::1]/', 'IPv6 loopback'],
    ['https://[::]/', 'IPv6 unspecified'],
    ['https://[fe80::1]/', 'IPv6 link-local'],
    ['https://[fc00::1]/', 'IPv6 unique local'],
    ['https://[fd12:3456::1]/', 'IPv6 unique local, fd'],
    ['https://[fd00:ec2::254]/', 'AWS metadata over IPv6'],
    ['https://[::ffff:127.0.0.1]/', 'IPv4-mapped loopback'],
    ['https://[::ffff:a9fe:a9fe]/', 'IPv4-mapped metadata, hex form'],
    ['https://[::ffff:10.0.0.1]/', 'IPv4-mapped private'],
    ['https://[0:0:0:0:0:ffff:7f00:1]/', 'IPv4-mapped loopback, long form'],
    ['https://[64:ff9b::7f00:1]/', 'NAT64 of loopback'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'GCP metadata name'],
    ['https://metadata/computeMetadata/v1/', 'bare metadata name'],
    ['https://instance-data.ec2.internal/', 'EC2 metadata name'],
    ['https://localhost/', 'localhost'],
    ['https://LOCALHOST./', 'localhost, upper case with a trailing dot'],
    ['https://api.localhost/', 'a localhost subdomain'],
    ['https://db.internal/', 'an internal name'],
    ['https://intranet/', 'a single-label name'],
  ])('refuses %s (%s)', (url) => {
    expect(checkWebhookUrl(url, aws).safe).toBe(false);
  });
});

describe('webhook URLs in local development', () => {
  it.each([
    'http://127.0.0.1:8080/hooks',
    'http://localhost:3000/hooks',
    'http://192.168.1.20/hooks',
    'http://[::1]:9000/hooks',
  ])('accepts the local receiver %s', (url) => {
    expect(checkWebhookUrl(url, local)).toEqual({ safe: true });
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/',
    'ftp://127.0.0.1/',
  ])('still refuses %s', (url) => {
    expect(checkWebhookUrl(url, local).safe).toBe(false);
  });
});

describe('addresses a name resolves to', () => {
  it.each([
    '10.1.2.3',
    '127.0.0.1',
    '169.254.169.254',
    '::1',
    '::ffff:10.0.0.1',
    'fe80::1%eth0',
    'fd00::1',
    '100.64.1.1',
  ])('refuses %s', (address) => {
    expect(checkWebhookAddress(address, aws).safe).toBe(false);
  });

  it.each(['93.184.215.14', '2606:4700:4700::1111', '8.8.8.8'])('accepts %s', (address) => {
    expect(checkWebhookAddress(address, aws)).toEqual({ safe: true });
  });

  it('refuses what is not an IP address at all', () => {
    expect(checkWebhookAddress('example.com', aws).safe).toBe(false);
  });
});
