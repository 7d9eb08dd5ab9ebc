#!/usr/bin/env node
// Finds, or provides, what the tests run against on this machine: PostgreSQL, NATS with
// JetStream, Debian's Chromium (browser tests) and the mediasoup worker. `npm test` calls it before
// Jest, `npm start` shares its pieces, and .ci/run calls it before `npm ci` (Node built-ins only).
//
//   node tools/dev/provision.mjs [tests|services] [--dry-run]
//
// `services` is PostgreSQL and NATS only; `--dry-run` says what it would start or install and
// changes nothing. With everything present it only looks (a few local checks, no processes).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './platform.mjs';

export const POSTGRES_PORT = 5432;
export const NATS_PORT = 4222;
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
/** Where mediasoup looks for its worker unless MEDIASOUP_WORKER_BIN says otherwise. */
export const MEDIASOUP_WORKER = join(root, 'node_modules/mediasoup/worker/out/Release/mediasoup-worker');
const NATS_DIR = join(tmpdir(), 'boomerang-nats');

/** Something this machine lacks and this user cannot provide; the message says what to do. */
export class ProvisionError extends Error {
  name = 'ProvisionError';
}

export function reachable(host, port, timeoutMs = 700) {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** The executable `binary` on PATH (or in `extraDirs`), else undefined. */
export function onPath(binary, extraDirs = []) {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean)) {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Debian installs nats-server into /usr/sbin, which is not on a user's PATH. */
export const natsServerBinary = () => onPath('nats-server', ['/usr/sbin']);

export const say = (message) => console.log(`\x1b[36m[boomerang]\x1b[0m ${message}`);

/**
 * This machine as provisioning reads and changes it (the tests pass a fake). With `dryRun`, every
 * change is only announced; reads are real.
 */
export function localMachine({ dryRun = false, say: tell = say } = {}) {
  const isRoot = process.getuid?.() === 0;
  let sudoWorks;
  let aptUpdated = false;
  const asRoot = (command, args, env = {}) => {
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    return isRoot ? [command, args] : ['sudo', ['-n', 'env', ...assignments, command, ...args]];
  };
  const machine = {
    dryRun,
    say: tell,
    exists: existsSync,
    reachable: (port) => reachable('127.0.0.1', port),
    which: (binary) => onPath(binary, ['/usr/sbin']),
    postgresVersions: () => (existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b)) : []),
    /** Root, or passwordless sudo (checked once, never prompting). */
    canBecomeRoot() {
      sudoWorks ??= isRoot || spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
      return sudoWorks;
    },
    /** Runs a command to its end (as root when asked); whether it succeeded. */
    run(command, args, { root: elevated = false, quiet = false, env = {} } = {}) {
      const [program, argv] = elevated ? asRoot(command, args, env) : [command, args];
      if (dryRun) {
        tell(`would run: ${[program, ...argv].join(' ')}`);
        return true;
      }
      const result = spawnSync(program, argv, { stdio: quiet ? 'ignore' : 'inherit', env: { ...process.env, ...env } });
      return result.status === 0;
    },
    /** Starts a long-lived server in the background, its output appended to `logFile`. */
    startDetached(command, args, logFile) {
      if (dryRun) return tell(`would start: ${[command, ...args].join(' ')} (log ${logFile})`);
      const log = openSync(logFile, 'a');
      spawn(command, args, { detached: true, stdio: ['ignore', log, log] }).unref();
    },
    async waitFor(port, seconds) {
      if (dryRun) return true;
      for (let waited = 0; waited < seconds * 10; waited++) {
        if (await reachable('127.0.0.1', port, 200)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    },
    /** Installs Debian packages (lists updated once per run). */
    aptInstall(packages) {
      tell(`installing ${packages.join(', ')} from Debian's packages…`);
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      if (!aptUpdated) aptUpdated = machine.run('apt-get', ['update', '-qq'], { root: true, env });
      return machine.run('apt-get', ['install', '-y', '-qq', ...packages], { root: true, env });
    },
  };
  return machine;
}

/**
 * PostgreSQL on 127.0.0.1:5432 (or TEST_DATABASE_URL): when nothing listens there, starts the
 * newest Debian cluster (installing PostgreSQL if needed) with trust auth for local TCP, as the
 * project's machines have it.
 */
export async function ensurePostgres(machine, env = process.env) {
  if (env.TEST_DATABASE_URL) return 'TEST_DATABASE_URL';
  if (await machine.reachable(POSTGRES_PORT)) return `listening on 127.0.0.1:${POSTGRES_PORT}`;
  if (!machine.canBecomeRoot()) {
    throw new ProvisionError(
      `Nothing listens on 127.0.0.1:${POSTGRES_PORT} and this user cannot start PostgreSQL. Start it (Debian: sudo pg_ctlcluster --skip-systemctl-redirect <version> main start; ` +
        'not installed: sudo apt-get install -y postgresql), or set TEST_DATABASE_URL (and TEST_DATABASE_SERVER_URL for the end-to-end tests).',
    );
  }
  if (!machine.which('pg_ctlcluster') && !machine.aptInstall(['postgresql'])) throw new ProvisionError('Could not install PostgreSQL: apt-get install -y postgresql failed (see above).');
  const version = machine.postgresVersions().at(-1) ?? (machine.dryRun ? '<version>' : undefined);
  if (!version) throw new ProvisionError('PostgreSQL is installed but /etc/postgresql has no cluster: create one with sudo pg_createcluster <version> main.');
  machine.say(`starting PostgreSQL ${version} (cluster main)…`);
  machine.run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { root: true });
  if (!(await machine.waitFor(POSTGRES_PORT, 60))) {
    throw new ProvisionError(`PostgreSQL ${version} did not listen on 127.0.0.1:${POSTGRES_PORT} within 60 s; see /var/log/postgresql/postgresql-${version}-main.log.`);
  }
  // The tests connect as postgres without a password over TCP.
  if (!machine.run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-w', '-c', 'select 1'], { quiet: true })) {
    machine.say('allowing local trust auth for 127.0.0.1 in pg_hba.conf…');
    const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
    machine.run('sed', ['-i', '-E', 's/^(host\\s+all\\s+all\\s+127\\.0\\.0\\.1\\/32\\s+)\\S+/\\1trust/', hba], { root: true });
    machine.run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'reload'], { root: true });
  }
  return `${machine.dryRun ? 'would start' : 'started'} PostgreSQL ${version} on 127.0.0.1:${POSTGRES_PORT}`;
}

/**
 * NATS with JetStream on 127.0.0.1:4222 (or TEST_NATS_URL): when nothing listens there, starts
 * nats-server in the background (installing Debian's package if needed), left running like a service.
 */
export async function ensureNats(machine, env = process.env) {
  if (env.TEST_NATS_URL) return 'TEST_NATS_URL';
  if (await machine.reachable(NATS_PORT)) return `listening on 127.0.0.1:${NATS_PORT}`;
  let binary = machine.which('nats-server');
  if (!binary) {
    if (!machine.canBecomeRoot()) {
      throw new ProvisionError(
        `Nothing listens on 127.0.0.1:${NATS_PORT} and nats-server is not installed: install it (Debian: sudo apt-get install -y nats-server), ` +
          `start NATS with JetStream (nats-server -a 127.0.0.1 -p ${NATS_PORT} -js), or set TEST_NATS_URL.`,
      );
    }
    if (!machine.aptInstall(['nats-server'])) throw new ProvisionError('Could not install nats-server: apt-get install -y nats-server failed (see above).');
    binary = machine.which('nats-server') ?? (machine.dryRun ? '/usr/sbin/nats-server' : undefined);
    if (!binary) throw new ProvisionError('nats-server was installed but is neither on PATH nor in /usr/sbin.');
    // Debian's package may have started its own service.
    if (await machine.reachable(NATS_PORT)) return `listening on 127.0.0.1:${NATS_PORT}`;
  }
  const log = join(tmpdir(), 'boomerang-nats.log');
  machine.say(`starting nats-server with JetStream on 127.0.0.1:${NATS_PORT} (store ${NATS_DIR}, log ${log})…`);
  if (!machine.dryRun) mkdirSync(NATS_DIR, { recursive: true });
  machine.startDetached(binary, ['-a', '127.0.0.1', '-p', String(NATS_PORT), '-js', '-sd', NATS_DIR], log);
  if (!(await machine.waitFor(NATS_PORT, 15))) throw new ProvisionError(`nats-server did not listen on 127.0.0.1:${NATS_PORT} within 15 s; see ${log}.`);
  return `${machine.dryRun ? 'would start' : 'started'} nats-server on 127.0.0.1:${NATS_PORT}`;
}

/** Debian's Chromium at CHROMIUM_PATH (default /usr/bin/chromium), which the browser tests drive. */
export async function ensureChromium(machine, env = process.env) {
  const path = env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (machine.exists(path)) return path;
  if (!machine.canBecomeRoot()) {
    throw new ProvisionError(
      `Chromium is missing at ${path} (the browser tests drive it): install Debian's package with "sudo apt-get install -y chromium", or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  if (!machine.aptInstall(['chromium'])) throw new ProvisionError('Could not install Chromium: apt-get install -y chromium failed (see above).');
  if (!machine.dryRun && !machine.exists(path)) {
    throw new ProvisionError(`Debian's chromium is installed (${DEFAULT_CHROMIUM}), but CHROMIUM_PATH=${path} is still missing: point CHROMIUM_PATH at a Chromium binary or unset it.`);
  }
  return `${machine.dryRun ? 'would install' : 'installed'} ${path}`;
}

/** The mediasoup worker binary (MEDIASOUP_WORKER_BIN, else mediasoup's default path), built or fetched when missing. */
export async function ensureMediasoupWorker(machine, env = process.env) {
  const worker = env.MEDIASOUP_WORKER_BIN ?? MEDIASOUP_WORKER;
  if (machine.exists(worker)) return worker;
  machine.say('providing the mediasoup worker (tools/mediasoup/ensure-worker.mjs)…');
  if (!machine.run(process.execPath, [join(root, 'tools/mediasoup/ensure-worker.mjs')])) {
    throw new ProvisionError('The mediasoup worker could not be provided (see above); tools/mediasoup/README.md says how to supply one (MEDIASOUP_WORKER_BIN).');
  }
  return `${machine.dryRun ? 'would provide' : 'provided'} ${worker}`;
}

/**
 * What a Jest run needs, from its arguments: unit specs need nothing; integration specs need
 * PostgreSQL, NATS and the mediasoup worker; end-to-end specs need Chromium too.
 */
export function needsOf(jestArgs) {
  const selected = [];
  for (let i = 0; i < jestArgs.length; i++) {
    const [flag, inline] = jestArgs[i].split('=', 2);
    if (flag !== '--selectProjects') continue;
    if (inline !== undefined) selected.push(inline);
    else while (jestArgs[i + 1] !== undefined && !jestArgs[i + 1].startsWith('-')) selected.push(jestArgs[++i]);
  }
  const runs = (project) => selected.length === 0 || selected.includes(project);
  const services = runs('integration') || runs('e2e');
  return { services, browser: runs('e2e'), mediasoup: services };
}

/** Everything `npm test` (with these Jest arguments) needs; returns one status line per thing. */
export async function provisionForTests(machine, { jestArgs = [], env = process.env } = {}) {
  const needs = needsOf(jestArgs);
  const status = {};
  if (needs.services) {
    status.postgres = await ensurePostgres(machine, env);
    status.nats = await ensureNats(machine, env);
  }
  if (needs.browser) status.chromium = await ensureChromium(machine, env);
  if (needs.mediasoup) status.mediasoup = await ensureMediasoupWorker(machine, env);
  return status;
}

async function main(args) {
  const dryRun = args.includes('--dry-run');
  const scope = args.find((arg) => !arg.startsWith('-')) ?? 'tests';
  if (!['tests', 'services'].includes(scope)) throw new ProvisionError(`unknown scope ${scope}: use tests or services`);
  const machine = localMachine({ dryRun });
  const status =
    scope === 'services'
      ? { postgres: await ensurePostgres(machine), nats: await ensureNats(machine) }
      : await provisionForTests(machine);
  for (const [name, line] of Object.entries(status)) say(`${name.padEnd(9)} ${line}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`\x1b[31m[boomerang]\x1b[0m ${error instanceof ProvisionError ? error.message : error.stack}`);
    process.exit(1);
  });
}
