// Starts the built platform (dist/) as child processes: every subgraph, then the gateway, each
// awaited on its readiness endpoint. Used by `npm start` (which has a service that exits reported
// and restarted with backoff) and by the end-to-end tests, which pass their own ports, database and
// NATS prefix and stop, kill, pause and start single services on purpose.
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
    if (child.exitCode !== null || child.signalCode) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
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

/** How many of a service's last output lines an exit report quotes. */
const LAST_LINES = 15;

/** Restarts in development: the first after 1 s, doubling to 30 s; a service up for a minute starts over at 1 s. */
const DEFAULT_RESTART = { initialDelayMs: 1000, maxDelayMs: 30_000, stableMs: 60_000 };

/**
 * @param {object} options
 * @param {Record<string,string>} options.env   environment shared by every app
 * @param {Record<string,number>} [options.ports]
 * @param {(name: string, line: string) => void} [options.onLine]  each output line of each app
 * @param {boolean | Partial<typeof DEFAULT_RESTART>} [options.restart]  restart a service that exits on its own, with backoff
 * @param {(report: { name: string, code: number | null, signal: string | null, lastLines: string[], restartInMs?: number }) => void} [options.onExit]
 *   a service exited on its own, once started (not through stop or stopService)
 * @param {(name: string, restarts: number) => void} [options.onRestarted]  a restarted service is ready again
 */
export async function startPlatform({ env, ports = DEFAULT_PORTS, onLine = () => {}, timeoutMs = 60_000, restart = false, onExit = () => {}, onRestarted = () => {} }) {
  const restartPolicy = restart ? { ...DEFAULT_RESTART, ...(restart === true ? {} : restart) } : undefined;
  /** The current child of each service, in start order (subgraphs, then the gateway). */
  const children = new Map();
  /** Per service: its own environment, its ready URL, its last output lines and its restarts in a row. */
  const services = new Map();
  const pendingRestarts = new Set();
  let started = false;
  let stopping = false;

  const launch = (name) => {
    const service = services.get(name);
    const instanceId = randomBytes(16).toString('hex');
    const child = spawn(process.execPath, ['--enable-source-maps', ...(NODE_FLAGS[name] ?? []), join(root, 'dist/apps', name, 'src/main.js')], {
      cwd: root,
      env: { ...process.env, ...env, ...service.env, BOOMERANG_INSTANCE_ID: instanceId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.instanceId = instanceId;
    child.startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) {
          if (!line) continue;
          service.lastLines.push(line);
          if (service.lastLines.length > LAST_LINES) service.lastLines.shift();
          onLine(name, line);
        }
      });
    }
    child.once('exit', (code, signal) => exited(name, child, code, signal));
    children.set(name, child);
    return child;
  };

  /** A service's child exited: on its own, once the platform is up, it is reported (and restarted with backoff when asked). */
  const exited = (name, child, code, signal) => {
    const service = services.get(name);
    if (!started || stopping || child.deliberateStop || children.get(name) !== child) return;
    if (Date.now() - child.startedAt >= (restartPolicy?.stableMs ?? Infinity)) service.restartsInARow = 0;
    const restartInMs = restartPolicy ? Math.min(restartPolicy.maxDelayMs, restartPolicy.initialDelayMs * 2 ** service.restartsInARow) : undefined;
    onExit({ name, code, signal, lastLines: [...service.lastLines], ...(restartInMs === undefined ? {} : { restartInMs }) });
    if (restartInMs === undefined) return;
    service.restartsInARow += 1;
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      if (stopping || children.get(name) !== child) return;
      const next = launch(name);
      waitReady(name, service.readyUrl, next, timeoutMs).then(
        () => onRestarted(name, service.restartsInARow),
        // Its exit is reported and retried like any other; one that hangs unready is stopped so it is.
        () => next.exitCode === null && next.signalCode === null && next.kill('SIGTERM'),
      );
    }, restartInMs);
    pendingRestarts.add(timer);
  };

  /** Sends `signal` (a paused child is resumed first, so it can act on it); resolves once the child exited, killing it after 20 s. */
  const terminate = (child, signal) =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode) return done({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, exitSignal) => done({ code, signal: exitSignal }));
      child.kill(signal);
      child.kill('SIGCONT');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    });

  const stop = async () => {
    stopping = true;
    for (const timer of pendingRestarts) clearTimeout(timer);
    await Promise.all([...children.values()].reverse().map((child) => terminate(child, 'SIGTERM')));
  };

  const serviceNamed = (name) => {
    const service = services.get(name);
    if (!service) throw new Error(`no service named ${name}; the platform runs ${[...services.keys()].join(', ')}`);
    return service;
  };

  const control = {
    /** Stops one service on purpose (SIGTERM: gracefully; SIGKILL: as a crash would); it is neither reported nor restarted. */
    async stopService(name, signal = 'SIGTERM') {
      serviceNamed(name);
      const child = children.get(name);
      child.deliberateStop = true;
      return terminate(child, signal);
    },
    /** Starts a stopped service again with the same settings; resolves once it is ready. */
    async startService(name) {
      const service = serviceNamed(name);
      const current = children.get(name);
      if (current && current.exitCode === null && current.signalCode === null) throw new Error(`${name} is running; stop it first`);
      await waitReady(name, service.readyUrl, launch(name), timeoutMs);
    },
    /** Freezes a service (SIGSTOP): it keeps its connections and answers nothing, as a hung process. */
    pauseService(name) {
      serviceNamed(name);
      children.get(name).kill('SIGSTOP');
    },
    resumeService(name) {
      serviceNamed(name);
      children.get(name).kill('SIGCONT');
    },
  };

  try {
    const names = subgraphNames();
    for (const name of names) {
      const port = ports[name] ?? DEFAULT_PORTS[name];
      if (!port && port !== 0) throw new Error(`no port for subgraph ${name}`);
      // voice's public listener (VOICE_PUBLIC_PORT, default 4118) derives the URL it hands out with call tokens.
      const serviceEnv = { PORT: String(port), [`${name.toUpperCase()}_PORT`]: String(port) };
      services.set(name, { env: serviceEnv, readyUrl: `http://127.0.0.1:${port}/health/ready`, lastLines: [], restartsInARow: 0 });
    }
    // Subgraphs start together; each migrates its own schema.
    await Promise.all(names.map((name) => waitReady(name, services.get(name).readyUrl, launch(name), timeoutMs)));
    const subgraphUrls = Object.fromEntries(
      names.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name] ?? DEFAULT_PORTS[name]}/graphql`]),
    );
    const gatewayPort = ports.gateway ?? DEFAULT_PORTS.gateway;
    services.set('gateway', {
      env: { ...subgraphUrls, GATEWAY_PORT: String(gatewayPort) },
      readyUrl: `http://127.0.0.1:${gatewayPort}/health/ready`,
      lastLines: [],
      restartsInARow: 0,
    });
    await waitReady('gateway', services.get('gateway').readyUrl, launch('gateway'), timeoutMs);
    started = true;
    return { gatewayUrl: `http://localhost:${gatewayPort}/graphql`, children, stop, ...control };
  } catch (error) {
    await stop();
    throw error;
  }
}
