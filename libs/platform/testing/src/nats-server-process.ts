import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** A nats-server of one test's own, for tests that must read its store files or restart it. */
export interface NatsServerProcess {
  readonly url: string;
  /** The `-sd` directory: JetStream keeps its files under `<storeDir>/jetstream`. */
  readonly storeDir: string;
  /** Every file under the store (index and state files too) whose bytes contain `text`. */
  filesContaining(text: string): string[];
  /** Stops the server (SIGTERM, waits for it to exit); the store stays for inspection. */
  stop(): Promise<void>;
  /** Stops it if running and removes the store. */
  cleanup(): Promise<void>;
}

/** `NATS_SERVER_BIN`, else Debian's binary, else `nats-server` on PATH. */
const natsServerBinary = (): string => process.env.NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/** Starts `nats-server -js` on a free localhost port with a fresh store directory. */
export async function startNatsServer(): Promise<NatsServerProcess> {
  const storeDir = mkdtempSync(join(tmpdir(), 'boomerang-nats-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freeLocalPort();
    const server = spawn(natsServerBinary(), ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.once('error', () => undefined);
    if (await listening(port, server)) {
      const stop = async () => {
        if (server.exitCode === null && server.signalCode === null) {
          server.kill('SIGTERM');
          await exited;
        }
      };
      return {
        url: `nats://127.0.0.1:${port}`,
        storeDir,
        filesContaining: (text) => storeFiles(storeDir).filter((file) => readFileSync(file).includes(text)),
        stop,
        async cleanup() {
          await stop();
          rmSync(storeDir, { recursive: true, force: true });
        },
      };
    }
    server.kill('SIGKILL');
    await exited;
    // Another process took the port between the probe and the bind: try another.
    if (attempt >= 4) {
      rmSync(storeDir, { recursive: true, force: true });
      throw new Error(`${natsServerBinary()} did not start (install nats-server, or set NATS_SERVER_BIN)`);
    }
  }
}

/** A node of a test's own NATS cluster. */
export interface NatsClusterNode {
  /** Its server name (`n1`, `n2`, …), as stream info names replicas and leaders. */
  readonly name: string;
  readonly url: string;
  readonly storeDir: string;
  readonly running: boolean;
  /** Kills the node at once (SIGKILL: no goodbye to its peers or clients) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store; resolves once it accepts connections. */
  restart(): Promise<void>;
}

/** A JetStream cluster of a test's own: every node on localhost with a store directory of its own. */
export interface NatsClusterProcess {
  /** Every node's client URL, separated by commas (as NATS_URL takes them). */
  readonly url: string;
  readonly nodes: readonly NatsClusterNode[];
  /** The node of that server name. */
  node(name: string): NatsClusterNode;
  /** Kills every node and removes the stores. */
  cleanup(): Promise<void>;
}

const CLUSTER_READY_TIMEOUT_MS = 30_000;

/**
 * Starts `size` nodes of one JetStream cluster (`nats-server -js --cluster … --routes …`, server
 * names n1…), and resolves once the cluster can place a stream on every node.
 */
export async function startNatsCluster({ size = 3 }: { size?: number } = {}): Promise<NatsClusterProcess> {
  const root = mkdtempSync(join(tmpdir(), 'boomerang-nats-cluster-'));
  for (let attempt = 0; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freeLocalPort()));
    const routes = Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${ports[size + i]}`).join(',');
    const nodes = Array.from({ length: size }, (_, i) =>
      clusterNode(`n${i + 1}`, join(root, `n${i + 1}`), [
        ...['-js', '-sd', join(root, `n${i + 1}`), '-a', '127.0.0.1', '-p', String(ports[i])],
        ...['--server_name', `n${i + 1}`, '--cluster_name', 'boomerang-test', '--cluster', `nats://127.0.0.1:${ports[size + i]}`, '--routes', routes],
      ], ports[i]!),
    );
    const started = await Promise.all(nodes.map((node) => node.restart().then(() => true, () => false)));
    // A test that dies before its clean-up leaves no node running.
    const killAll = () => nodes.forEach((node) => node.killNow());
    process.once('exit', killAll);
    const cluster: NatsClusterProcess = {
      url: nodes.map((node) => node.url).join(','),
      nodes,
      node(name) {
        const found = nodes.find((node) => node.name === name);
        if (!found) throw new Error(`no node ${name} in the cluster`);
        return found;
      },
      async cleanup() {
        process.off('exit', killAll);
        await Promise.all(nodes.map((node) => node.kill()));
        rmSync(root, { recursive: true, force: true });
      },
    };
    if (started.every(Boolean)) {
      await untilClusterPlaces(cluster.url, size).catch(async (error: unknown) => {
        await cluster.cleanup();
        throw error;
      });
      return cluster;
    }
    process.off('exit', killAll);
    await Promise.all(nodes.map((node) => node.kill()));
    // Another process took a port between the probe and the bind: try others.
    if (attempt >= 4) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`${natsServerBinary()} did not start a cluster (install nats-server, or set NATS_SERVER_BIN)`);
    }
  }
}

function clusterNode(name: string, storeDir: string, args: readonly string[], port: number): NatsClusterNode & { killNow(): void } {
  let server: ChildProcess | undefined;
  let exited = Promise.resolve();
  const running = () => server !== undefined && server.exitCode === null && server.signalCode === null;
  return {
    name,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get running() {
      return running();
    },
    async kill() {
      if (!running()) return;
      server!.kill('SIGKILL');
      await exited;
    },
    killNow() {
      if (running()) server!.kill('SIGKILL');
    },
    async restart() {
      if (running()) throw new Error(`node ${name} is running`);
      const child = spawn(natsServerBinary(), args, { stdio: 'ignore' });
      server = child;
      exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => undefined);
      if (!(await listening(port, child))) throw new Error(`node ${name} did not start listening on ${port}`);
    },
  };
}

/** Waits until the cluster has elected its JetStream leader and every node can hold a replica. */
async function untilClusterPlaces(url: string, replicas: number): Promise<void> {
  const nc = await connect({ servers: url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
    const probe = `CLUSTER_READY_${randomBytes(4).toString('hex')}`;
    const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
    for (;;) {
      try {
        await jsm.streams.add({ name: probe, subjects: [`${probe}.>`], num_replicas: replicas });
        await jsm.streams.delete(probe);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the NATS cluster did not become ready: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await nc.close();
  }
}

function storeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

async function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True once the server accepts connections on `port` (within 10 s), false if it exits first. */
async function listening(port: number, server: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && server.exitCode === null) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (connected) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
