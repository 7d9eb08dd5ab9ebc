import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Ranges a user-given URL may not reach: this host, private networks, link-local (cloud metadata at 169.254.169.254, fd00:ec2::254), CGNAT, multicast, reserved. */
const FORBIDDEN: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'a private'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (CGNAT) or metadata'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local or metadata'],
  ['172.16.0.0', 12, 'ipv4', 'a private'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved'],
  ['192.168.0.0', 16, 'ipv4', 'a private'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking'],
  ['224.0.0.0', 3, 'ipv4', 'a multicast or reserved'],
  ['::', 128, 'ipv6', 'an unspecified'],
  ['::1', 128, 'ipv6', 'a loopback'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) or metadata'],
  ['fe80::', 10, 'ipv6', 'a link-local'],
  ['ff00::', 8, 'ipv6', 'a multicast'],
];
const RANGES = FORBIDDEN.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, kind };
});

/** Why `address` may not be reached (e.g. "a loopback"), or undefined when it is public. */
export function forbiddenAddress(address: string): string | undefined {
  const mapped = ipv4Mapped(address);
  const [ip, family] = mapped ? [mapped, 'ipv4' as const] : [address, isIP(address) === 6 ? ('ipv6' as const) : ('ipv4' as const)];
  return RANGES.find((range) => range.family === family && range.list.check(ip, family))?.kind;
}

/** The IPv4 address of an IPv4-mapped IPv6 one, dotted (::ffff:127.0.0.1) or as URLs write it (::ffff:7f00:1). */
function ipv4Mapped(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export interface OutboundAddressPolicy {
  /** Reach any address (a development setup's local server). */
  readonly allowPrivate: boolean;
  /** How host names resolve (tests map names to addresses). */
  readonly lookup?: typeof dnsLookup;
  /** Which addresses are refused (tests narrow it); default `forbiddenAddress`. */
  readonly forbidden?: (address: string) => string | undefined;
}

/** Why a URL's literal IP host is refused (`{ address, kind }`), or undefined (a host name, a public IP, or private allowed). */
export function refusedLiteralHost(target: URL, policy: OutboundAddressPolicy): { address: string; kind: string } | undefined {
  if (policy.allowPrivate) return undefined;
  const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!isIP(literal)) return undefined;
  const kind = (policy.forbidden ?? forbiddenAddress)(literal);
  return kind ? { address: literal, kind } : undefined;
}

/**
 * A `lookup` for http(s).request that refuses host names resolving to a forbidden address: the
 * address checked is the one connected to, so a DNS answer cannot change in between.
 */
export function outboundLookup(policy: OutboundAddressPolicy, refuse: (address: string, kind: string) => Error): LookupFunction {
  const forbidden = policy.forbidden ?? forbiddenAddress;
  const resolve = policy.lookup ?? dnsLookup;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = policy.allowPrivate ? undefined : addresses.find((entry) => forbidden(entry.address));
      if (refused) return callback(refuse(refused.address, forbidden(refused.address)!), '', 0);
      if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
