import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for webhook URLs: a tenant must not make Écoute POST into its own network (the
 * VPC, loopback, the cloud's instance metadata). Pure: the URL check looks at the URL alone,
 * and the address check is applied by the HTTP adapter to every address DNS returns, before it
 * connects to one of them (so a name cannot resolve to a safe address at check time and a
 * private one at connect time).
 */

export type UrlVerdict = { safe: true } | { safe: false; reason: string };

export interface SafetyOptions {
  /**
   * Local development only (`ALLOW_PRIVATE_WEBHOOKS`): allows `http:` and private, loopback
   * and CGNAT addresses, so a receiver on the laptop works. Link-local and metadata addresses
   * stay refused.
   */
  allowPrivate: boolean;
}

const SAFE: UrlVerdict = { safe: true };
const unsafe = (reason: string): UrlVerdict => ({ safe: false, reason });

function blockList(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

/** Never reachable from a webhook, not even in local development: the metadata services. */
const ALWAYS_REFUSED = blockList([
  ['169.254.0.0', 16, 'ipv4'], // link-local, incl. 169.254.169.254 (AWS, GCP, Azure metadata)
  ['fe80::', 10, 'ipv6'], // link-local
  ['fd00:ec2::254', 128, 'ipv6'], // AWS metadata over IPv6
]);

/** Private, loopback and otherwise non-public ranges: refused outside local development. */
const PRIVATE = blockList([
  ['0.0.0.0', 8, 'ipv4'], // "this network", incl. the unspecified 0.0.0.0
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments (Oracle's metadata 192.0.0.192)
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, incl. broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['::1', 128, 'ipv6'], // loopback
  ['::', 96, 'ipv6'], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96, 'ipv6'], // NAT64: would reach the IPv4 address inside
  ['fc00::', 7, 'ipv6'], // unique local
  ['ff00::', 8, 'ipv6'], // multicast
]);

/** Host names that lead to metadata services or the machine itself whatever DNS says. */
const METADATA_NAMES = /^(metadata|metadata\.google\.internal|instance-data(\.ec2\.internal)?)$/;
const INTERNAL_SUFFIXES = /(^|\.)(localhost|internal|local|localdomain|home\.arpa)$/;

/** `::ffff:a.b.c.d` (or `::ffff:7f00:1`) → `a.b.c.d`; anything else unchanged. */
function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(address)?.[1];
  if (mapped === undefined) return address;
  if (isIP(mapped) === 4) return mapped;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
  if (hex === null) return address;
  const high = Number.parseInt(hex[1] ?? '0', 16);
  const low = Number.parseInt(hex[2] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * Whether a webhook may be sent to this IP address (as DNS returned it, or as written in the
 * URL). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 *
 * @example
 * checkWebhookAddress('10.0.0.7', { allowPrivate: false }) // { safe: false, reason: … }
 */
export function checkWebhookAddress(address: string, options: SafetyOptions): UrlVerdict {
  const plain = unmapIpv4(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = isIP(plain);
  if (family === 0) return unsafe(`"${address}" is not an IP address`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (ALWAYS_REFUSED.check(plain, type)) return unsafe(`${plain} is a link-local or cloud metadata address`);
  if (!options.allowPrivate && PRIVATE.check(plain, type))
    return unsafe(`${plain} is a private, loopback or reserved address`);
  return SAFE;
}

/**
 * Whether a webhook URL may be stored and called, judged from the URL alone: `https:` only (and
 * `http:` in local development), no credentials, no private or metadata address written as an
 * IP (the URL parser already turns `2130706433`, `0x7f.1` or `0177.1` into `127.0.0.1`), no
 * name that only exists inside a network. A name is checked again, resolved, at send time.
 */
export function checkWebhookUrl(url: string, options: SafetyOptions): UrlVerdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return unsafe('not a URL');
  }
  const allowedProtocols = options.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowedProtocols.includes(parsed.protocol))
    return unsafe(`the scheme must be ${options.allowPrivate ? 'https or http' : 'https'}`);
  if (parsed.username !== '' || parsed.password !== '')
    return unsafe('credentials in the URL are refused: the signature authenticates deliveries');
  const host = parsed.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === '') return unsafe('the URL has no host');
  if (isIP(host) !== 0) return checkWebhookAddress(host, options);
  if (METADATA_NAMES.test(host)) return unsafe(`"${host}" is a cloud metadata name`);
  if (!options.allowPrivate && (INTERNAL_SUFFIXES.test(host) || !host.includes('.')))
    return unsafe(`"${host}" is a local or internal name`);
  return SAFE;
}
