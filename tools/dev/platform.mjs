// Starts the built platform (dist/) as child processes: every subgraph, then the gateway, each
// awaited on its readiness endpoint. Used by `npm start` and by the end-to-end tests, which
// pass their own ports, database and NATS prefix.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The workspace root (this file also runs from dist/tools/dev when compiled code imports it). */
export const root = (() => {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return dir;
  }
  throw new Error('cannot find the workspace root');
})();

export const DEFAULT_PORTS = {
  gateway: 4000,
  workspace: 4101,
  profiles: 4102,
  events: 4103,
  segments: 4104,
  campaigns: 4105,
  journeys: 4106,
  email: 4107,
  voice: 4108,
};

/** Subgraphs are the apps with a main.ts other than the gateway and e2e suites (apps still being written are absent). */
export function subgraphNames(workspace = root) {
  const apps = join(workspace, 'apps');
  if (!existsSync(apps)) return [];
  return readdirSync(apps)
    .filter((name) => name !== 'gateway' && !name.endsWith('-e2e'))
    .filter((name) => existsSync(join(apps, name, 'src', 'main.ts')))
    .sort();
}

/** Ports handed out by freePort, across processes (parallel test workers each start a platform). */
const PORT_CLAIMS = join(tmpdir(), 'boomerang-port-claims');
const CLAIM_TTL_MS = 15 * 60_000;

function isAlive(pid) {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims `port` for this process unless another live process claimed it recently. */
function claimPort(port) {
  const file = join(PORT_CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      const owner = Number(readFileSync(file, 'utf8'));
      if (isAlive(owner) && Date.now() - statSync(file).mtimeMs < CLAIM_TTL_MS) return false;
      rmSync(file, { force: true });
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A port free right now that no other process using freePort holds: the OS picks it, and a claim
 * file keeps two platforms started in parallel from being handed the same port between the
 * probe and the app binding it.
 */
export async function freePort() {
  mkdirSync(PORT_CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await new Promise((resolvePort, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolvePort(port));
      });
    });
    if (claimPort(port)) return port;
  }
  throw new Error('no free port could be claimed');
}

/**
 * Each child gets an instance id of its own in BOOMERANG_INSTANCE_ID; its /health/ready echoes
 * the id only to a request carrying it in this header, so the launcher can tell its own child
 * from another process answering on the same port (and the public answer names no process).
 */
const INSTANCE_HEADER = 'x-boomerang-instance';

async function waitReady(name, url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    // The ready answer's body, or undefined while nothing listens or answers ready there.
    const ready = await fetch(url, { headers: { [INSTANCE_HEADER]: child.instanceId }, signal: AbortSignal.timeout(1000) }).then(
      (response) => (response.ok ? response.json().catch(() => ({})) : undefined),
      () => undefined,
    );
    if (ready) {
      if (ready.instance === child.instanceId) return;
      throw new Error(`${name}: another process answers at ${url}; the port was taken`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

/**
 * Node flags of particular apps (docker-compose.yml sets the same through NODE_OPTIONS). events:
 * a larger young generation. Ingest holds every parsed batch until its transaction commits; with
 * V8's default 16 MB semi-space most of them survive a scavenge and are copied, then promoted, and
 * garbage collection took 18 % of the process under load. 128 MB measured best (npm run
 * bench:ingest, ingest/COPY: 64 MB 0.44–0.49×, 128 MB 0.53–0.56×, 256 MB 0.49×), for a young
 * generation of up to 384 MB under load.
 */
const NODE_FLAGS = { events: ['--max-semi-space-size=128'] };

/**
 * @param {object} options
 * @param {Record<string,string>} options.env   environment shared by every app
 * @param {Record<string,number>} [options.ports]
 * @param {(name: string, line: string) => void} [options.onLine]  each output line of each app
 */
export async function startPlatform({ env, ports = DEFAULT_PORTS, onLine = () => {}, timeoutMs = 60_000 }) {
  const children = new Map();
  const names = subgraphNames();
  const launch = (name, extraEnv) => {
    const instanceId = randomBytes(16).toString('hex');
    const child = spawn(process.execPath, ['--enable-source-maps', ...(NODE_FLAGS[name] ?? []), join(root, 'dist/apps', name, 'src/main.js')], {
      cwd: root,
      env: { ...process.env, ...env, ...extraEnv, BOOMERANG_INSTANCE_ID: instanceId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.instanceId = instanceId;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) if (line) onLine(name, line);
      });
    }
    children.set(name, child);
    return child;
  };

  const stop = async () => {
    const exits = [...children.entries()].reverse().map(
      ([, child]) =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    );
    await Promise.all(exits);
  };

  try {
    // Subgraphs start together; each migrates its own schema.
    await Promise.all(
      names.map((name) => {
        const port = ports[name] ?? DEFAULT_PORTS[name];
        if (!port && port !== 0) throw new Error(`no port for subgraph ${name}`);
        // voice's public listener (VOICE_PUBLIC_PORT, default 4118) derives the URL it hands out with call tokens.
        const child = launch(name, { PORT: String(port), [`${name.toUpperCase()}_PORT`]: String(port) });
        return waitReady(name, `http://127.0.0.1:${port}/health/ready`, child, timeoutMs);
      }),
    );
    const subgraphUrls = Object.fromEntries(
      names.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name] ?? DEFAULT_PORTS[name]}/graphql`]),
    );
    const gatewayPort = ports.gateway ?? DEFAULT_PORTS.gateway;
    const gateway = launch('gateway', { ...subgraphUrls, GATEWAY_PORT: String(gatewayPort) });
    await waitReady('gateway', `http://127.0.0.1:${gatewayPort}/health/ready`, gateway, timeoutMs);
    return { gatewayUrl: `http://localhost:${gatewayPort}/graphql`, children, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
