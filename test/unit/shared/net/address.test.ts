/**
 * The address classifier, against two oracles it shares no code with: the WHATWG URL parser (which
 * spellings name which address) and `net.BlockList` built from the IANA special-purpose registries
 * (which addresses are public unicast).
 */
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKind, isLocalhostName, kindOfAddress, parseIpAddress } from '#shared/net/address.ts';

/** Everything that is not public unicast, as the IANA registries list it (and IPv6 outside 2000::/3). */
const NOT_PUBLIC = {
  ipv4: [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.31.196.0/24',
    '192.52.193.0/24',
    '192.88.99.0/24',
    '192.168.0.0/16',
    '192.175.48.0/24',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4',
    '240.0.0.0/4',
  ],
  ipv6: [
    '::/3', // everything below 2000::/3: unspecified, loopback, mapped, NAT64, discard…
    '4000::/2', // and above 3fff:…: unique-local, link-local, multicast…
    '8000::/1',
    '2001::/23',
    '2001:db8::/32',
    '2002::/16',
    '2620:4f:8000::/48',
    '3fff::/20',
  ],
};

/** One list per family: a BlockList also matches IPv4 addresses against IPv6 rules, as mapped addresses. */
function blockList(cidrs: string[], family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, prefix] = cidr.split('/');
    list.addSubnet(net as string, Number(prefix), family);
  }
  return list;
}
const oracle = { ipv4: blockList(NOT_PUBLIC.ipv4, 'ipv4'), ipv6: blockList(NOT_PUBLIC.ipv6, 'ipv6') };

const dotted = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
const publicByOracle = (canonical: string) => {
  const family = isIP(canonical) === 6 ? 'ipv6' : 'ipv4';
  return !oracle[family].check(canonical, family);
};

/** An IPv4 number written as one part: decimal, octal (leading 0) or hex (0x, any case, padded or not). */
const part = (value: number) =>
  fc.oneof(
    fc.constant(String(value)),
    fc.constant(`0${value.toString(8)}`),
    fc.tuple(fc.constantFrom('0x', '0X'), fc.nat({ max: 3 }), fc.boolean()).map(([prefix, pad, upper]) => {
      const hex = '0'.repeat(pad) + value.toString(16);
      return prefix + (upper ? hex.toUpperCase() : hex);
    }),
  );

/** Any spelling of the IPv4 address `v` that a URL parser and inet_aton accept. */
const ipv4Spelling = (v: number) =>
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.boolean()).chain(([parts, trailingDot]) => {
    const bytes = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    const leading = bytes.slice(0, parts - 1);
    const last = bytes.slice(parts - 1).reduce((sum, byte) => sum * 256 + byte, 0);
    return fc
      .tuple(...leading.map(part), part(last))
      .map((written) => written.join('.') + (trailingDot ? '.' : ''));
  });

const uint32 = fc.nat({ max: 0xffffffff });

/** 16 bytes as 8 groups, zeros frequent so that compression has runs to work on. */
const ipv6Groups = fc.array(
  fc.oneof(fc.constant(0), fc.constant(0xffff), fc.nat({ max: 0xffff }), fc.nat({ max: 0xff })),
  { minLength: 8, maxLength: 8 },
);

/** Any spelling of the IPv6 address with these groups: padding, case, `::` on any zero run, dotted tail. */
const ipv6Spelling = (groups: number[]) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: 3 }), fc.boolean()), { minLength: 8, maxLength: 8 }),
      fc.boolean(),
      fc.nat(),
    )
    .map(([styles, dottedTail, runChoice]) => {
      const written = groups.map((group, i) => {
        const [pad, upper] = styles[i] as [number, boolean];
        const hex = group.toString(16).padStart(Math.min(4, group.toString(16).length + pad), '0');
        return upper ? hex.toUpperCase() : hex;
      });
      let items: string[] = written;
      if (dottedTail) {
        const [a = 0, b = 0] = groups.slice(6);
        items = [...written.slice(0, 6), `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`];
      }
      const runs: [number, number][] = [];
      for (let start = 0; start < groups.length; start++) {
        for (let end = start; end < groups.length && groups[end] === 0; end++) runs.push([start, end]);
      }
      // A run inside a dotted tail cannot be compressed.
      const usable = runs.filter(([, end]) => !dottedTail || end < 6);
      if (usable.length === 0 || runChoice % 3 === 0) return items.join(':');
      const [start, end] = usable[runChoice % usable.length] as [number, number];
      return `${items.slice(0, start).join(':')}::${items.slice(end + 1).join(':')}`;
    });

describe('parseIpAddress: every spelling of an address', () => {
  it('reads any IPv4 spelling as the URL parser does', () => {
    fc.assert(
      fc.property(
        uint32.chain((v) => fc.tuple(fc.constant(v), ipv4Spelling(v))),
        ([v, text]) => {
          expect(new URL(`http://${text}/`).hostname).toBe(dotted(v));
          expect([...(parseIpAddress(text) ?? [])]).toEqual([...(parseIpAddress(dotted(v)) ?? [])]);
          expect(kindOfAddress(text)).toBe(kindOfAddress(dotted(v)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads any IPv6 spelling as the URL parser does, with brackets or a zone id too', () => {
    const zone = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(
        ipv6Groups.chain((groups) => fc.tuple(fc.constant(groups), ipv6Spelling(groups), zone)),
        ([groups, text, zoneId]) => {
          const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
          const bytes = [...(parseIpAddress(canonical) ?? [])];
          expect(bytes).toEqual(groups.flatMap((group) => [group >> 8, group & 255]));
          expect([...(parseIpAddress(text) ?? [])]).toEqual(bytes);
          expect([...(parseIpAddress(`[${text}]`) ?? [])]).toEqual(bytes);
          expect(isIP(`${text}%${zoneId}`)).toBe(6);
          expect([...(parseIpAddress(`${text}%${zoneId}`) ?? [])]).toEqual(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    'localhost',
    'example.com',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256',
    '4294967296',
    '0x100000000',
    '08.0.0.1',
    '1..2',
    '',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    '::1.2.3',
    '::1.2.3.04',
    '1.2.3.4::',
    'g::1',
  ])('reads %j as no address (a host name, or nothing a resolver takes)', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
    expect(kindOfAddress(text)).toBeUndefined();
  });
});

describe('addressKind: public unicast only', () => {
  it('agrees with the IANA registries for any IPv4 address', () => {
    fc.assert(
      fc.property(uint32, (v) => {
        expect(kindOfAddress(dotted(v)) === 'public').toBe(publicByOracle(dotted(v)));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with them inside and at the edges of every special-purpose IPv4 block', () => {
    const inBlock = fc.constantFrom(...NOT_PUBLIC.ipv4).chain((cidr) => {
      const [net = '', prefix = ''] = cidr.split('/');
      const base = net.split('.').reduce((sum, byte) => sum * 256 + Number(byte), 0);
      const size = 2 ** (32 - Number(prefix));
      return fc.oneof(
        fc.nat({ max: size - 1 }).map((offset) => base + offset),
        fc
          .constantFrom(base - 1, base, base + size - 1, base + size)
          .filter((v) => v >= 0 && v <= 0xffffffff),
      );
    });
    fc.assert(
      fc.property(inBlock, (v) => {
        expect(kindOfAddress(dotted(v)) === 'public', dotted(v)).toBe(publicByOracle(dotted(v)));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with them for any IPv6 address, and inside every special-purpose IPv6 block', () => {
    const anywhere = ipv6Groups.map((groups) => groups.map((g) => g.toString(16)).join(':'));
    const inBlock = fc
      .tuple(fc.constantFrom(...NOT_PUBLIC.ipv6, '2000::/3', '2400:3200::/32', '64:ff9b::/96'), ipv6Groups)
      .map(([cidr, groups]) => {
        const [net = '', prefix = ''] = cidr.split('/');
        const base = parseIpAddress(net) as Uint8Array;
        const bytes = groups.flatMap((group) => [group >> 8, group & 255]);
        const bits = Number(prefix);
        const address = bytes.map((byte, i) => {
          const keep = Math.max(0, Math.min(8, bits - 8 * i));
          const mask = (0xff << (8 - keep)) & 0xff;
          return ((base[i] as number) & mask) | (byte & ~mask & 0xff);
        });
        return Array.from({ length: 8 }, (_, i) =>
          ((address[2 * i] as number) * 256 + (address[2 * i + 1] as number)).toString(16),
        ).join(':');
      });
    fc.assert(
      fc.property(fc.oneof(anywhere, inBlock), (text) => {
        expect(kindOfAddress(text) === 'public', text).toBe(publicByOracle(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses an IPv4 address in any IPv6 clothing, however public the IPv4 address', () => {
    const hex = (v: number) => `${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
    fc.assert(
      fc.property(uint32, (v) => {
        for (const text of [
          `::ffff:${dotted(v)}`,
          `::ffff:${hex(v)}`,
          `::FFFF:${dotted(v)}%eth0`,
          `0:0:0:0:0:ffff:${dotted(v)}`,
          `::ffff:0:${dotted(v)}`,
          `::${dotted(v)}`,
          `64:ff9b::${dotted(v)}`,
          `64:ff9b::${hex(v)}`,
          `64:ff9b:1::${hex(v)}`,
          `2002:${hex(v)}::1`,
          `2001:0:${hex(v)}::1`,
        ]) {
          expect(['ipv4-embedded', 'nat64', 'unspecified', 'loopback'], text).toContain(kindOfAddress(text));
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
    ['0177.0.0.01', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:7f00:1', 'ipv4-embedded'],
    ['64:ff9b::7f00:1', 'nat64'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['2001:2::1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['47.100.1.1', 'public'],
    ['2400:3200::1', 'public'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (text, kind) => {
    expect(kindOfAddress(text)).toBe(kind);
  });

  it('classifies raw bytes of either family', () => {
    expect(addressKind(Uint8Array.of(127, 0, 0, 1))).toBe('loopback');
    expect(addressKind(new Uint8Array(16))).toBe('unspecified');
  });
});

describe('isLocalhostName', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST.', true],
    ['api.localhost', true],
    ['localhost.example.com', false],
    ['notlocalhost', false],
  ])('%s: %s', (name, expected) => {
    expect(isLocalhostName(name)).toBe(expected);
  });
});
