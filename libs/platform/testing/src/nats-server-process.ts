import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
