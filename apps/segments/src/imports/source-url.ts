import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { CohortFileError } from './cohort-file-error.js';

/** Ranges a sourceUrl may not reach: this host, private networks, link-local (cloud metadata at 169.254.169.254, fd00:ec2::254), CGNAT, multicast, reserved. */
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
const MAX_REDIRECTS = 5;

/** Why `address` may not be fetched (e.g. "a loopback"), or undefined when it is public. */
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

export interface SourceUrlOptions {
  /** SEGMENT_IMPORT_ALLOW_PRIVATE_URLS: reach any address (a development setup's local file server). */
  readonly allowPrivate: boolean;
  /** How host names resolve (tests map names to addresses). */
  readonly lookup?: typeof dnsLookup;
  /** Which addresses are refused (tests narrow it); default `forbiddenAddress`. */
  readonly forbidden?: (address: string) => string | undefined;
}

/** A URL as shown and logged: no credentials, no query string (pre-signed URLs carry their signature there). */
export const shownUrl = (url: string | URL): string => {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
};

/**
 * The body of `url`, streamed. Unless private addresses are allowed, every address a host resolves
 * to is checked when the connection is made (the address checked is the one connected to, so a DNS
 * answer cannot change in between), and so is each redirect's target.
 */
export async function openSourceUrl(url: string, signal: AbortSignal, options: SourceUrlOptions): Promise<AsyncIterable<Buffer>> {
  const forbidden = options.forbidden ?? forbiddenAddress;
  let target = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const response = await get(target, signal, options, forbidden);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      const next = new URL(location, target);
      if (redirects >= MAX_REDIRECTS) throw new CohortFileError(`${shownUrl(url)} redirected more than ${MAX_REDIRECTS} times`);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new CohortFileError(`${shownUrl(target)} redirected to a ${next.protocol} URL; only http and https are fetched`);
      target = next;
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new CohortFileError(`${shownUrl(target)} answered ${status} ${response.statusMessage ?? ''}`.trim());
    }
    return response;
  }
}

function get(target: URL, signal: AbortSignal, options: SourceUrlOptions, forbidden: (address: string) => string | undefined): Promise<IncomingMessage> {
  const refuse = (address: string, kind: string) =>
    new CohortFileError(`${shownUrl(target)} is not fetched: ${target.hostname} is ${kind} address (${address}); set SEGMENT_IMPORT_ALLOW_PRIVATE_URLS=true to allow it`);
  const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!options.allowPrivate && isIP(literal)) {
    const kind = forbidden(literal);
    if (kind) return Promise.reject(refuse(literal, kind));
  }
  const resolve = options.lookup ?? dnsLookup;
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = options.allowPrivate ? undefined : addresses.find((entry) => forbidden(entry.address));
      if (refused) return callback(refuse(refused.address, forbidden(refused.address)!), '', 0);
      if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, { signal, lookup, headers: { accept: '*/*' } }, resolve);
    request.on('error', (error) => {
      reject(error instanceof CohortFileError ? error : new CohortFileError(`could not fetch ${shownUrl(target)} (${error.message})`));
    });
    request.end();
  });
}
