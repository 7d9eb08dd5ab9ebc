import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import type { EventRow } from '../src/events/event.entity.js';
import { ingestCredentials, startIngestSubgraph, stopIngestSubgraph } from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Segment's snippet (5.2.x) as a website pastes it, with two edits a self-hosted source documents:
 * the CDN host is Boomerang's ingestion API, and `_cdn` names it (analytics.js finds its CDN from
 * the script tag by itself over https only).
 */
function snippet(ingestUrl: string, writeKey: string, loadOptions: unknown): string {
  return `!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="${ingestUrl}/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="${writeKey}";analytics._cdn="${ingestUrl}";analytics.SNIPPET_VERSION="5.2.0";
  analytics.load("${writeKey}", ${JSON.stringify(loadOptions)});
  analytics.page();
  }}();`;
}

describe('analytics.js (Segment browser SDK) on a website', () => {
  let sut: TestSubgraph;
  let ingestUrl: string;
  let db: DataSource;
  let site: http.Server;
  let siteUrl: string;
  let browser: Browser;
  const credentials = ingestCredentials();
  const { project, pk } = credentials;
  /** What the website's page loads with (set per test). */
  let loadOptions: unknown = {};

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for the browser test and was not found at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    }
    ({ sut, baseUrl: ingestUrl, db } = await startIngestSubgraph(credentials));
    // The website: another origin (its own port) than the ingestion API.
    site = http.createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><title>T-shirt | Shop</title><script>${snippet(ingestUrl, pk, loadOptions)}</script></head><body><h1>T-shirt</h1></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await stopIngestSubgraph(sut);
  });

  const stored = (): Promise<EventRow[]> => db.query(`SELECT * FROM event WHERE project_id = $1 ORDER BY "timestamp", message_id`, [project]);

  /** Opens the website's page, recording every request the page makes and every one that fails or is refused. */
  async function visit(path: string): Promise<{ page: Page; requests: string[]; failures: string[] }> {
    const page = await browser.newPage();
    const requests: string[] = [];
    const failures: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()}: ${response.status()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(`console: ${message.text()}`);
    });
    await page.goto(`${siteUrl}${path}`);
    return { page, requests, failures };
  }

  it('an unmodified snippet, its CDN host pointed at Boomerang, sends page, identify and track across origins', async () => {
    loadOptions = {};
    const { page, requests, failures } = await visit('/products/sku-1?utm_source=newsletter');
    await page.evaluate(() => {
      const analytics = (globalThis as unknown as { analytics: { identify(id: string, traits: object): void; track(name: string, properties: object): void } }).analytics;
      analytics.identify('user-7', { plan: 'pro' });
      analytics.track('Product Added', { sku: 'SKU-1', price: 24.99 });
    });

    const rows = await eventually(async () => {
      const events = await stored();
      expect(events.map((event) => event.type).sort()).toEqual(['identify', 'page', 'track']);
      return events;
    });
    await page.close();
    const byType = Object.fromEntries(rows.map((row) => [row.type, row]));
    // One visitor: the SDK's anonymous id on every call, the user id from identify on.
    const anonymousId = byType.page!.anonymous_id;
    expect(anonymousId).toEqual(expect.any(String));
    expect(rows.every((row) => row.anonymous_id === anonymousId)).toBe(true);
    expect(byType.page).toMatchObject({ properties: { path: '/products/sku-1', search: '?utm_source=newsletter', title: 'T-shirt | Shop', url: `${siteUrl}/products/sku-1?utm_source=newsletter` } });
    expect(byType.page!.context).toMatchObject({ library: { name: 'analytics.js' }, page: { path: '/products/sku-1' }, campaign: { source: 'newsletter' }, userAgent: expect.stringContaining('Chrome') });
    expect(byType.identify).toMatchObject({ user_id: 'user-7', properties: { plan: 'pro' } });
    expect(byType.track).toMatchObject({ name: 'Product Added', user_id: 'user-7', properties: { sku: 'SKU-1', price: 24.99 } });

    // Loader, settings and each call from Boomerang; every call on its short path, preflighted (the write key rides in Authorization).
    const toIngest = requests.filter((request) => request.includes(ingestUrl)).map((request) => request.replace(ingestUrl, ''));
    expect(toIngest).toEqual(expect.arrayContaining([`GET /analytics.js/v1/${pk}/analytics.min.js`, `GET /v1/projects/${pk}/settings`, 'POST /v1/p', 'POST /v1/i', 'POST /v1/t']));
    expect(requests.filter((request) => !request.includes(ingestUrl) && !request.includes(siteUrl))).toEqual([]);
    expect(failures).toEqual([]);
  }, 60_000);

  it('the batching delivery strategy posts to /v1/b', async () => {
    await db.query(`DELETE FROM event WHERE project_id = $1`, [project]);
    loadOptions = { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 3, timeout: 500 } } } } };
    const { page, requests, failures } = await visit('/cart');
    await page.evaluate(() => {
      const analytics = (globalThis as unknown as { analytics: { track(name: string, properties: object): void } }).analytics;
      analytics.track('Cart Viewed', { items: 2 });
      analytics.track('Checkout Started', { total: 49.98 });
    });

    const rows = await eventually(async () => {
      const events = await stored();
      expect(events).toHaveLength(3);
      return events;
    });
    await page.close();
    expect(rows.map((row) => row.name).sort()).toEqual(['Cart Viewed', 'Checkout Started', 'page']);
    expect(rows.find((row) => row.name === 'Checkout Started')!.properties).toEqual({ total: 49.98 });
    const posts = requests.filter((request) => request.startsWith('POST') && request.includes(ingestUrl));
    expect(posts).toEqual([`POST ${ingestUrl}/v1/b`]);
    expect(failures).toEqual([]);
  }, 60_000);

  describe('what the browser fetches, directly', () => {
    it('answers preflights for any origin, and refusals carry the CORS header so the SDK can read them', async () => {
      const preflight = await fetch(`${ingestUrl}/v1/t`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type');

      // analytics.js sends text/plain with the write key in the body too.
      const refused = await fetch(`${ingestUrl}/v1/t`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ writeKey: pk, userId: 'u-1' }) });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('access-control-allow-origin')).toBe('*');
      expect(await refused.json()).toMatchObject({ error: { field: 'event' } });
    });

    it('serves settings aimed at the address the browser used, and nothing for an unknown key', async () => {
      const settings = await fetch(`${ingestUrl}/v1/projects/${pk}/settings`);
      expect(settings.status).toBe(200);
      expect(await settings.json()).toEqual({
        integrations: { 'Segment.io': { apiKey: pk, apiHost: `${new URL(ingestUrl).host}/v1`, protocol: 'http' } },
        metrics: { sampleRate: 0 },
        remotePlugins: [],
      });
      const proxied = await fetch(`${ingestUrl}/v1/projects/${pk}/settings`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(await proxied.json()).toMatchObject({ integrations: { 'Segment.io': { protocol: 'https' } } });

      for (const path of [`/v1/projects/pk_unknown/settings`, `/analytics.js/v1/pk_revoked/analytics.min.js`]) {
        const response = await fetch(`${ingestUrl}${path}`);
        expect({ path, status: response.status }).toEqual({ path, status: 401 });
        expect(await response.json()).toMatchObject({ error: { field: 'writeKey' } });
      }
      expect((await fetch(`${ingestUrl}/analytics-next/bundles/nothing.js`)).status).toBe(404);
      expect((await fetch(`${ingestUrl}/analytics.js/v1/%E0%A4%A/analytics.min.js`)).status).toBe(404);
    });

    it('embeds the write key in the loader, as Segment’s CDN does', async () => {
      const loader = await fetch(`${ingestUrl}/analytics.js/v1/${pk}/analytics.min.js`);
      expect(loader.status).toBe(200);
      expect(loader.headers.get('content-type')).toContain('javascript');
      const script = await loader.text();
      expect(script).toContain(`window.analyticsWriteKey="${pk}"`);
      expect(script).not.toContain('"__WRITE_KEY__"');
    });
  });
});
