import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Why an address is not on the public internet, or `public`. Every class but `public` is
 * refused by the egress proxy unless a destination is allowed explicitly.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unique-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'metadata'
  | 'reserved'
  | 'unparsable';

/**
 * Instance-metadata and platform endpoints outside link-local space (169.254/16 and fe80::/10
 * are refused as link-local already), as sandbox-runtime lists them.
 */
const METADATA = [
  '100.100.100.200/32', // Alibaba Cloud
  '168.63.129.16/32', // Azure WireServer
  '192.0.0.192/32', // Oracle Cloud Classic
  'fd00:ec2::/32', // AWS IPv6 IMDS, EKS Pod Identity, DNS, NTP
  'fd20:ce::254/128', // Google Cloud, IPv6-only instances
  'fd00:c1::a9fe:a9fe/128', // Oracle Cloud IPv6
].map((cidr) => ipaddr.parseCIDR(cidr));

const IPV4_CLASSES: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
};

const IPV6_CLASSES: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique-local',
  // Deprecated site-local fec0::/10 was the private range before ULA.
  deprecatedSiteLocal: 'private',
};

/**
 * Spells a host the way a resolver reads it: `2130706433`, `0x7f000001`, `0177.0.0.1` and
 * `127.1` become `127.0.0.1`, IPv6 loses its brackets and is compressed, names are lower-cased
 * without a trailing dot. Uses the WHATWG URL host parser, which follows inet_aton's forms.
 * Returns undefined for what no URL could hold.
 */
export function canonicalHost(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare) === 6 ? `[${bare}]` : bare;
  let parsed: string;
  try {
    parsed = new URL(`http://${literal}/`).hostname;
  } catch {
    return undefined;
  }
  const unbracketed = parsed.startsWith('[') ? parsed.slice(1, -1) : parsed;
  return unbracketed.replace(/\.$/, '') || undefined;
}

/**
 * Classifies one IP address (v4 or v6, already resolved). IPv6 forms that carry an IPv4
 * address (mapped `::ffff:a.b.c.d`, the deprecated compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) are judged by the IPv4 address inside; Teredo and the other special
 * ranges are refused as reserved.
 */
export function classifyAddress(address: string): AddressClass {
  if (!ipaddr.isValid(address) || isIP(address) === 0) return 'unparsable';
  const parsed = ipaddr.parse(address);
  if (METADATA.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) {
    return 'metadata';
  }
  if (parsed.kind() === 'ipv4') return IPV4_CLASSES[parsed.range()] ?? 'reserved';
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return classifyAddress(embedded);
  return IPV6_CLASSES[v6.range()] ?? 'reserved';
}

/** The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one. */
function embeddedIPv4(v6: ipaddr.IPv6): string | undefined {
  const p = v6.parts;
  const bytes = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6052') return bytes(p[6]!, p[7]!);
  if (range === '6to4') return bytes(p[1]!, p[2]!);
  // ::a.b.c.d (RFC 4291's deprecated compatible form); :: and ::1 keep their own class.
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) {
    return bytes(p[6]!, p[7]!);
  }
  return undefined;
}
