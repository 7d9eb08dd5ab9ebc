#!/usr/bin/env node
// `npm run nats:cluster`: a three-node NATS JetStream cluster on this machine, for development and
// for trying a node's loss. Each node is the nats-server on PATH (or Debian's /usr/sbin), with a
// client port, a route port and a store of its own under .boomerang/nats-cluster/<node>.
//
//   node tools/dev/nats-cluster.mjs [--nodes 3|5] [--port 4222]
//
// Client ports are --port, --port+1, …; route ports 2000 above them. A node already running (a
// member of this cluster on its port) is left alone, so running it again after killing one node
// restarts just that node, which rejoins and catches up. Ctrl-C stops the nodes it started; the
// stores stay (remove .boomerang/nats-cluster for a fresh cluster).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { root } from './platform.mjs';
import { natsServerBinary } from './provision.mjs';

const CLUSTER_NAME = 'boomerang';
const ROUTE_PORT_OFFSET = 2000;

const say = (message) => console.log(`\x1b[36m[nats-cluster]\x1b[0m ${message}`);
const fail = (message) => {
  console.error(`\x1b[31m[nats-cluster]\x1b[0m ${message}`);
  process.exit(1);
};

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '3' }, port: { type: 'string', default: '4222' } } });
const size = Number(values.nodes);
const basePort = Number(values.port);
if (![3, 5].includes(size)) fail('--nodes must be 3 or 5 (a majority of the nodes must survive a loss)');
if (!Number.isInteger(basePort) || basePort < 1024 || basePort + size - 1 + ROUTE_PORT_OFFSET > 65535) fail('--port must be a port from 1024 with room for the nodes above it');
const binary = natsServerBinary();
if (!binary) fail('nats-server is not installed (Debian/Ubuntu: apt-get install nats-server)');

const storeRoot = join(root, '.boomerang/nats-cluster');
const nodes = Array.from({ length: size }, (_, i) => ({ name: `n${i + 1}`, port: basePort + i, routePort: basePort + i + ROUTE_PORT_OFFSET }));
const routes = nodes.map((node) => `nats://127.0.0.1:${node.routePort}`).join(',');
const natsUrl = nodes.map((node) => `nats://127.0.0.1:${node.port}`).join(',');

/** The INFO a NATS server sends on connect: undefined when nothing (or something else) listens on `port`. */
function serverInfo(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (info) => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(1_000, () => finish(undefined));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (!received.includes('\r\n')) return;
      const [line] = received.split('\r\n');
      try {
        finish(line.startsWith('INFO ') ? JSON.parse(line.slice(5)) : { foreign: true });
      } catch {
        finish({ foreign: true });
      }
    });
    socket.once('error', () => finish(undefined));
  });
}

const started = [];
let stopping = false;
for (const node of nodes) {
  for (const port of [node.port, node.routePort]) {
    const info = await serverInfo(port);
    if (!info) continue;
    if (port === node.port && info.server_name === node.name && info.cluster === CLUSTER_NAME) {
      node.running = true;
      break;
    }
    fail(
      `port ${port} (${node.name}) is taken${info.server_name ? ` by nats-server ${info.server_name}` : ''}; ` +
        `stop it, or choose other ports: npm run nats:cluster -- --port 5222`,
    );
  }
}
for (const node of nodes) {
  if (node.running) {
    say(`${node.name} is already running on port ${node.port}`);
    continue;
  }
  const storeDir = join(storeRoot, node.name);
  mkdirSync(storeDir, { recursive: true });
  const args = [
    ...['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(node.port), '--server_name', node.name],
    ...['--cluster_name', CLUSTER_NAME, '--cluster', `nats://127.0.0.1:${node.routePort}`, '--routes', routes],
    ...['-l', join(storeRoot, `${node.name}.log`)],
  ];
  const child = spawn(binary, args, { stdio: 'ignore' });
  child.once('exit', (code, signal) => {
    node.exited = true;
    if (!stopping) say(`${node.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); run npm run nats:cluster again to restart it`);
  });
  started.push({ node, child });
}

async function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await Promise.all(
    started.map(({ node, child }) => (node.exited ? undefined : new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))))),
  );
  process.exit(exitCode);
}
/** Stops what was started here, then fails saying why. */
async function abort(message) {
  console.error(`\x1b[31m[nats-cluster]\x1b[0m ${message}`);
  await stop(1);
}
process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());

for (let waited = 0; !(await Promise.all(nodes.map((node) => serverInfo(node.port)))).every(Boolean); waited += 100) {
  if (waited > 10_000) await abort(`the nodes did not all start listening; see ${join(storeRoot, '<node>.log')}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
// Services declare their streams as they start: wait for the cluster's JetStream leader.
const nc = await connectNats({ servers: natsUrl.split(','), maxReconnectAttempts: -1 });
const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2_000 });
for (let attempt = 0; ; attempt++) {
  try {
    await jsm.getAccountInfo();
    break;
  } catch (error) {
    if (attempt >= 15) await abort(`JetStream did not elect a leader: ${error.message}; see ${join(storeRoot, '<node>.log')}`);
  }
}
await nc.close();
for (const { node, child } of started) say(`${node.name} on port ${node.port} (route ${node.routePort}, pid ${child.pid}, store .boomerang/nats-cluster/${node.name})`);
say(`cluster "${CLUSTER_NAME}" of ${size} JetStream nodes. Point the platform at it:`);
console.log(`\n  NATS_URL=${natsUrl} NATS_STREAM_REPLICAS=${size === 5 ? '5' : '3'} npm start\n`);
say(started.length > 0 ? 'Ctrl-C stops the nodes started here.' : 'every node was already running.');
if (started.length === 0) process.exit(0);
