import { readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * What Segment's browser SDK (analytics.js, `@segment/analytics-next`) fetches besides the
 * tracking API, served here so a website's unmodified snippet works once its CDN host is ours:
 * the loader `/analytics.js/v1/<writeKey>/analytics.min.js`, its lazily loaded chunks under
 * `/analytics-next/bundles/`, and the source settings `/v1/projects/<writeKey>/settings`, which
 * point its Segment.io destination at this API.
 */
export type AnalyticsJsAsset =
  | { kind: 'loader'; writeKey: string }
  | { kind: 'chunk'; file: string }
  | { kind: 'settings'; writeKey: string };

const LOADER = /^\/analytics\.js\/v1\/([^/]+)\/analytics(?:\.min)?\.js$/;
/** webpack's public path for the chunks is `<cdn>/analytics-next/bundles/`. */
const CHUNK = /^\/analytics-next\/bundles\/([\w.-]+\.js)$/;
const SETTINGS = /^\/v1\/projects\/([^/]+)\/settings$/;

/** The analytics.js asset a GET path names, or undefined. */
export function analyticsJsAsset(path: string): AnalyticsJsAsset | undefined {
  let match = LOADER.exec(path);
  if (match) return writeKeyIn(match[1]!, (writeKey) => ({ kind: 'loader', writeKey }));
  match = SETTINGS.exec(path);
  if (match) return writeKeyIn(match[1]!, (writeKey) => ({ kind: 'settings', writeKey }));
  match = CHUNK.exec(path);
  return match ? { kind: 'chunk', file: match[1]! } : undefined;
}

/** A path segment's write key; a malformed %-escape names no asset (404). */
function writeKeyIn(segment: string, asset: (writeKey: string) => AnalyticsJsAsset): AnalyticsJsAsset | undefined {
  try {
    return asset(decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** Where the tracking API is reached from a browser: `host` with any path prefix, no scheme. */
export interface PublicAddress {
  host: string;
  protocol: 'http' | 'https';
}

/**
 * The source settings analytics.js loads before sending anything: its Segment.io destination
 * (the one that posts events) aimed at this API, and no telemetry sent to Segment.
 */
export function analyticsJsSettings(writeKey: string, api: PublicAddress): unknown {
  return {
    integrations: { 'Segment.io': { apiKey: writeKey, apiHost: `${api.host}/v1`, protocol: api.protocol } },
    metrics: { sampleRate: 0 },
    remotePlugins: [],
  };
}

/** `INGEST_PUBLIC_URL` as the address analytics.js is pointed at. */
export function publicAddress(url: string): PublicAddress {
  const parsed = new URL(url);
  return { host: `${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`, protocol: parsed.protocol === 'https:' ? 'https' : 'http' };
}

/**
 * The address a browser used to reach this API: the configured one (`INGEST_PUBLIC_URL`, behind a
 * proxy that rewrites Host), else the request's Host, https when a proxy says so.
 */
export function publicAddressOf(request: IncomingMessage, configured: PublicAddress | undefined): PublicAddress | undefined {
  if (configured) return configured;
  const host = request.headers.host;
  if (!host || !/^[\w.-]+(?::\d{1,5})?$|^\[[\d:a-fA-F.]+\](?::\d{1,5})?$/.test(host)) return undefined;
  const forwarded = request.headers['x-forwarded-proto'];
  const protocol = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return { host, protocol: protocol === 'https' ? 'https' : 'http' };
}

/** The SDK's build, read once from the installed package. */
export class AnalyticsJsBuild {
  private readonly directory = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd');
  private loader?: string;
  private chunks?: Map<string, Buffer>;

  /** The loader with the write key embedded, as Segment's CDN serves it (the SDK falls back on it when the page names none). */
  loaderFor(writeKey: string): string {
    this.loader ??= readFileSync(join(this.directory, 'standalone.js'), 'utf8');
    return this.loader.replace('"__WRITE_KEY__"', JSON.stringify(writeKey));
  }

  chunk(file: string): Buffer | undefined {
    this.chunks ??= new Map(
      readdirSync(this.directory)
        .filter((name) => name.endsWith('.js'))
        .map((name) => [name, readFileSync(join(this.directory, name))]),
    );
    return this.chunks.get(file);
  }
}
