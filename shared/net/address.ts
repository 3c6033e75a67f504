/**
 * IP addresses in any textual form, and what kind each is: a webhook goes only to public unicast
 * addresses, never into the deployment's own network (loopback, the VPC, the metadata service…).
 *
 * Parsing accepts every form a resolver or URL parser accepts, so that no spelling slips past:
 * IPv4 as `127.0.0.1`, `127.1`, `2130706433`, `0x7f.0.0.1`, `0177.0.0.1` (the WHATWG URL / inet_aton
 * forms: 1 to 4 parts, each decimal, `0x` hex or `0` octal, the last filling the remaining bytes),
 * IPv6 compressed or not, with a dotted-quad tail (`::ffff:127.0.0.1`), a zone id (`fe80::1%eth0`) or
 * brackets (`[::1]`).
 *
 * The kinds come from the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/,
 * https://www.iana.org/assignments/iana-ipv6-special-registry/): every block listed there is refused,
 * globally reachable or not (none is a place for a webhook), and so is any IPv6 address outside
 * global unicast (2000::/3). IPv6 forms that carry an IPv4 address (mapped, compatible, translated,
 * 6to4, Teredo, NAT64) are refused whatever the IPv4 address: they are a way to reach it.
 */

export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'unique-local'
  | 'ipv4-embedded'
  | 'nat64'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

/** 4 bytes (IPv4) or 16 (IPv6), network order. */
export type AddressBytes = Uint8Array;

const IPV4_PART = { 16: /^[0-9a-f]*$/i, 10: /^[0-9]+$/, 8: /^[0-7]+$/ } as const;

/** One part of an IPv4 address as the WHATWG URL standard reads it ("IPv4 number parser"). */
function ipv4Part(text: string): number | undefined {
  if (text === '') return undefined;
  let radix: 16 | 10 | 8 = 10;
  let digits = text;
  if (/^0x/i.test(text)) {
    radix = 16;
    digits = text.slice(2);
    if (digits === '') return 0;
  } else if (text.length > 1 && text[0] === '0') {
    radix = 8;
    digits = text.slice(1);
  }
  if (!IPV4_PART[radix].test(digits)) return undefined;
  // A long run of digits reads as a huge number (or Infinity): too large either way.
  return Number.parseInt(digits, radix);
}

/** `127.1`, `0x7f000001`, `0177.0.0.1.`…: an IPv4 address, or undefined. */
function parseIpv4(text: string): AddressBytes | undefined {
  const parts = (text.endsWith('.') ? text.slice(0, -1) : text).split('.');
  if (parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = ipv4Part(part);
    if (value === undefined) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  if (numbers.some((value) => value > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  const bytes = new Uint8Array(4);
  numbers.forEach((value, i) => {
    bytes[i] = value;
  });
  // The last part fills the bytes the others left (exact: it is below 2^32).
  for (let i = numbers.length; i < 4; i++) bytes[i] = Math.floor(last / 256 ** (3 - i)) % 256;
  return bytes;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function groupsOf(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const items = text.split(':');
  for (const [i, item] of items.entries()) {
    if (i === items.length - 1 && DOTTED_QUAD.test(item)) {
      const [a, b, c, d] = item.split('.').map(Number) as [number, number, number, number];
      groups.push(a * 256 + b, c * 256 + d);
    } else if (HEX_GROUP.test(item)) {
      groups.push(Number.parseInt(item, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** `::1`, `[::ffff:127.0.0.1]`, `fe80::1%eth0`…: an IPv6 address (the zone id dropped), or undefined. */
function parseIpv6(text: string): AddressBytes | undefined {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  // A dotted quad only ends the address.
  if (halves.length === 2 && head.length > 0 && /\./.test(halves[0] as string)) return undefined;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Any textual IP address (see the top of this file), or undefined when `text` is not one. */
export function parseIpAddress(text: string): AddressBytes | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

interface Block {
  prefix: AddressBytes;
  length: number;
  kind: Exclude<AddressKind, 'public'>;
}

function block(cidr: string, kind: Block['kind']): Block {
  const [address = '', length = ''] = cidr.split('/');
  const prefix = parseIpAddress(address);
  if (!prefix) throw new Error(`not a block: ${cidr}`);
  return { prefix, length: Number(length), kind };
}

/** IANA IPv4 Special-Purpose Address Registry, and multicast and the reserved class E. */
const IPV4_BLOCKS = [
  block('0.0.0.0/8', 'unspecified'), // "this network"
  block('10.0.0.0/8', 'private'),
  block('100.64.0.0/10', 'shared'), // carrier-grade NAT; Alibaba Cloud's metadata service is 100.100.100.200
  block('127.0.0.0/8', 'loopback'),
  block('169.254.0.0/16', 'link-local'), // other clouds' metadata services
  block('172.16.0.0/12', 'private'),
  block('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  block('192.0.2.0/24', 'documentation'),
  block('192.31.196.0/24', 'reserved'), // AS112-v4
  block('192.52.193.0/24', 'reserved'), // AMT
  block('192.88.99.0/24', 'reserved'), // 6to4 relay anycast (deprecated)
  block('192.168.0.0/16', 'private'),
  block('192.175.48.0/24', 'reserved'), // AS112 direct delegation
  block('198.18.0.0/15', 'reserved'), // benchmarking
  block('198.51.100.0/24', 'documentation'),
  block('203.0.113.0/24', 'documentation'),
  block('224.0.0.0/4', 'multicast'),
  block('240.0.0.0/4', 'reserved'),
  block('255.255.255.255/32', 'broadcast'),
];

/** IANA IPv6 Special-Purpose Address Registry, and the other non-global-unicast blocks. */
const IPV6_BLOCKS = [
  block('::/128', 'unspecified'),
  block('::1/128', 'loopback'),
  block('::/96', 'ipv4-embedded'), // IPv4-compatible (deprecated)
  block('::ffff:0:0/96', 'ipv4-embedded'), // IPv4-mapped
  block('::ffff:0:0:0/96', 'ipv4-embedded'), // IPv4-translated (RFC 2765)
  block('64:ff9b::/96', 'nat64'),
  block('64:ff9b:1::/48', 'nat64'), // local-use IPv4/IPv6 translation
  block('100::/64', 'reserved'), // discard-only
  block('2001::/23', 'reserved'), // IETF protocol assignments
  block('2001::/32', 'ipv4-embedded'), // Teredo
  block('2001:db8::/32', 'documentation'),
  block('2002::/16', 'ipv4-embedded'), // 6to4
  block('2620:4f:8000::/48', 'reserved'), // AS112 direct delegation
  block('3fff::/20', 'documentation'),
  block('5f00::/16', 'reserved'), // SRv6 SIDs
  block('fc00::/7', 'unique-local'),
  block('fe80::/10', 'link-local'),
  block('fec0::/10', 'private'), // site-local (deprecated)
  block('ff00::/8', 'multicast'),
];

function within(bytes: AddressBytes, { prefix, length }: Block): boolean {
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== prefix[i]) return false;
  const bits = length & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((bytes[whole] as number) & mask) === ((prefix[whole] as number) & mask);
}

/** The kind of an address: the most specific special-purpose block it is in, else public. */
export function addressKind(bytes: AddressBytes): AddressKind {
  const blocks = bytes.length === 4 ? IPV4_BLOCKS : IPV6_BLOCKS;
  let found: Block | undefined;
  for (const candidate of blocks) {
    if (within(bytes, candidate) && (!found || candidate.length > found.length)) found = candidate;
  }
  if (found) return found.kind;
  // IPv6 global unicast is 2000::/3: anything else is unassigned or for other uses.
  if (bytes.length === 16 && ((bytes[0] as number) & 0xe0) !== 0x20) return 'reserved';
  return 'public';
}

/** The kind of a textual address, or undefined when `text` is not an IP address (a host name). */
export function kindOfAddress(text: string): AddressKind | undefined {
  const bytes = parseIpAddress(text);
  return bytes && addressKind(bytes);
}

/** `localhost` and its subdomains always resolve to loopback (RFC 6761 §6.3). */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The host of a URL as a resolver or `kindOfAddress` takes it: `[::1]` → `::1`. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
