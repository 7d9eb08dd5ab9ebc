import type { Server } from 'node:http';
import { connect } from 'node:net';
import { CallWebClient } from './call-web-client.js';
import type { SignallingServer } from './signalling.server.js';
import { VoicePublicServer } from './voice-public.server.js';

/** Serves a page and a script, as a built client would. */
class StubWebClient extends CallWebClient {
  override fileAt(path: string) {
    if (path === '/calls/client/') return { body: Buffer.from('<html></html>'), type: 'text/html; charset=utf-8' };
    if (path === '/calls/client/app.js') return { body: Buffer.from('export {};'), type: 'text/javascript; charset=utf-8' };
    return undefined;
  }
}

/** Sends raw bytes and returns the status line of the answer. */
const rawStatus = (port: number, request: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer.split('\r\n')[0]!));
    socket.on('error', reject);
  });

describe('VoicePublicServer', () => {
  const attached: Server[] = [];
  const signalling = { attach: (server: Server) => void attached.push(server), close: async () => undefined } as unknown as SignallingServer;
  const logger = { info: () => undefined } as never;
  let sut: VoicePublicServer;
  let base: string;
  beforeAll(async () => {
    sut = new VoicePublicServer(signalling, new StubWebClient(), { VOICE_PUBLIC_PORT: 0 }, { HOST: '127.0.0.1' }, logger);
    await sut.onApplicationBootstrap();
    base = sut.url;
  });
  afterAll(() => sut.beforeApplicationShutdown());

  it('listens on its own port and hands it to signalling', () => {
    expect(sut.port).toBeGreaterThan(0);
    expect(attached).toHaveLength(1);
  });

  it('serves the web client files, uncached and unsniffed, with and without a query', async () => {
    const page = await fetch(`${base}/calls/client/?token=abc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toBe('<html></html>');
    const head = await fetch(`${base}/calls/client/app.js`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '10', '']);
  });

  it('answers nothing else: 404 for other paths, 405 for other methods, 426 for the signalling path without an upgrade', async () => {
    for (const path of ['/graphql', '/health/ready', '/calls/client/main.js', '/']) expect((await fetch(`${base}${path}`)).status).toBe(404);
    expect((await fetch(`${base}/calls/client/`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${base}/calls/signal`)).status).toBe(426);
  });

  it('survives a malformed request target', async () => {
    expect(await rawStatus(sut.port, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(`${base}/calls/client/`)).status).toBe(200);
  });
});
