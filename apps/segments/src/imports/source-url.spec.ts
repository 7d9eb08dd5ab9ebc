import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forbiddenAddress } from '@boomerang/platform/subgraph';
import { openSourceUrl } from './source-url.js';

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('forbiddenAddress', () => {
  it.each(['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:a9fe:a9fe', '224.0.0.1', '255.255.255.255'])(
    'refuses %s',
    (address) => {
      expect(forbiddenAddress(address)).toBeDefined();
    },
  );
  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:1.1.1.1'])('allows %s', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });
});

describe('openSourceUrl', () => {
  // Linux routes all of 127/8 to loopback: "public" here is 127.0.0.1, the private target 127.0.0.2.
  const onlyTwo = (address: string) => (address === '127.0.0.2' ? 'a test-private' : undefined);
  const servers: Server[] = [];
  const serve = async (host: string, handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  };
  afterEach(() => servers.splice(0).forEach((server) => server.close()));

  it('refuses a private address given literally, resolved from a name, or reached by a redirect, unless allowed', async () => {
    const privateUrl = await serve('127.0.0.2', (_, response) => response.end('user_id\nu-1\n'));
    const publicUrl = await serve('127.0.0.1', (request, response) => {
      if (request.url === '/redirect') response.writeHead(302, { location: `${privateUrl}/file.csv?sig=1` }).end();
      else if (request.url === '/relative') response.writeHead(301, { location: '/file.csv' }).end();
      else response.end('user_id\nu-2\n');
    });
    const signal = new AbortController().signal;
    const strict = { allowPrivate: false, forbidden: onlyTwo };
    await expect(openSourceUrl(`${privateUrl}/file.csv`, signal, strict)).rejects.toThrow(/is not fetched: 127\.0\.0\.2 is a test-private address \(127\.0\.0\.2\)/);
    await expect(openSourceUrl(`${publicUrl}/redirect`, signal, strict)).rejects.toThrow(/^http:\/\/127\.0\.0\.2:\d+\/file\.csv is not fetched/);
    // A name whose addresses include a private one is refused, whichever comes first.
    const port = new URL(privateUrl).port;
    const lookup = ((_: string, __: unknown, callback: (error: null, addresses: { address: string; family: number }[]) => void) =>
      callback(null, [
        { address: '127.0.0.1', family: 4 },
        { address: '127.0.0.2', family: 4 },
      ])) as never;
    await expect(openSourceUrl(`http://files.example:${port}/file.csv`, signal, { ...strict, lookup })).rejects.toThrow(/files\.example is a test-private address \(127\.0\.0\.2\)/);

    expect(await text(await openSourceUrl(`${publicUrl}/relative`, signal, strict))).toBe('user_id\nu-2\n');
    expect(await text(await openSourceUrl(`${publicUrl}/redirect`, signal, { allowPrivate: true, forbidden: onlyTwo }))).toBe('user_id\nu-1\n');
    // The real rules: loopback is refused.
    await expect(openSourceUrl(`${publicUrl}/file.csv`, signal, { allowPrivate: false })).rejects.toThrow(/127\.0\.0\.1 is a loopback address/);
    await expect(openSourceUrl(`http://localhost:${new URL(publicUrl).port}/file.csv`, signal, { allowPrivate: false })).rejects.toThrow(/localhost is a loopback address/);
  });

  it('follows at most 5 redirects and names a failing status', async () => {
    const base = await serve('127.0.0.1', (request, response) => {
      if (request.url === '/loop') response.writeHead(302, { location: '/loop' }).end();
      else response.writeHead(404, 'Not Found').end();
    });
    const signal = new AbortController().signal;
    await expect(openSourceUrl(`${base}/loop`, signal, { allowPrivate: true })).rejects.toThrow(/redirected more than 5 times/);
    await expect(openSourceUrl(`${base}/gone.csv?sig=secret`, signal, { allowPrivate: true })).rejects.toThrow(/^http:\/\/127\.0\.0\.1:\d+\/gone\.csv answered 404 Not Found$/);
  });
});
