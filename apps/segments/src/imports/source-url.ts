import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { outboundLookup, refusedLiteralHost, type OutboundAddressPolicy } from '@boomerang/platform/subgraph';
import { CohortFileError } from './cohort-file-error.js';

const MAX_REDIRECTS = 5;

/** `allowPrivate` is SEGMENT_IMPORT_ALLOW_PRIVATE_URLS. */
export type SourceUrlOptions = OutboundAddressPolicy;

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
  let target = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const response = await get(target, signal, options);
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

function get(target: URL, signal: AbortSignal, options: SourceUrlOptions): Promise<IncomingMessage> {
  const refuse = (address: string, kind: string) =>
    new CohortFileError(`${shownUrl(target)} is not fetched: ${target.hostname} is ${kind} address (${address}); set SEGMENT_IMPORT_ALLOW_PRIVATE_URLS=true to allow it`);
  const literal = refusedLiteralHost(target, options);
  if (literal) return Promise.reject(refuse(literal.address, literal.kind));
  const lookup = outboundLookup(options, refuse);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, { signal, lookup, headers: { accept: '*/*' } }, resolve);
    request.on('error', (error) => {
      reject(error instanceof CohortFileError ? error : new CohortFileError(`could not fetch ${shownUrl(target)} (${error.message})`));
    });
    request.end();
  });
}
