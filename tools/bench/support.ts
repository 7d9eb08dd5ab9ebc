// Helpers the benchmarks share.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type pg from 'pg';

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, like pidusage, from /proc/<pid>/stat; throws once it is gone. */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds (user + system) the calling thread has used so far (a worker thread's own, not its process's). */
export function threadCpuSeconds(): number {
  return statCpuSeconds('/proc/thread-self/stat');
}

function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name (which may hold spaces) start at state (field 3); utime/stime are 14/15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** CPU seconds the whole machine has been busy (every core, not idle or waiting for I/O), from /proc/stat. */
export function machineBusySeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  // cpu user nice system idle iowait irq softirq steal …
  const ticks = cpu!.trim().split(/\s+/).slice(1).map(Number);
  const busy = ticks.reduce((sum, value) => sum + value, 0) - ticks[3]! - ticks[4]!;
  return busy / CLOCK_TICKS_PER_S;
}

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
export function cpuSecondsIfAlive(pid: number): number | undefined {
  try {
    return processCpuSeconds(pid);
  } catch {
    return undefined;
  }
}

/**
 * The processes a bench's work runs in, by group: this bench, each app it started from dist/, the
 * PostgreSQL backends of `database` (by the app at their client end), NATS, PostgreSQL's background.
 * `self` names this process's group and its backends (an app the bench runs in-process), else 'bench client' with backends as others.
 */
export async function processGroups(db: pg.Client, database: string, postgresPort: number, self?: string): Promise<Map<number, string>> {
  const groups = new Map<number, string>([[process.pid, self ? `${self} (node)` : 'bench client']]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      const app = /dist\/apps\/([\w-]+)\/src\/main\.js/.exec(cmdline)?.[1];
      if (app && parent === process.pid) groups.set(Number(entry), `${app} (node)`);
      else if (/^(\S*\/)?nats-server\b/.test(cmdline)) groups.set(Number(entry), 'nats-server');
      else if (/^postgres: .*(walwriter|checkpointer|background writer|autovacuum|walsender)/.test(cmdline)) {
        groups.set(Number(entry), 'postgres background (shared server)');
      }
    } catch {
      // exited while listing
    }
  }
  // Each backend is attributed to the app whose socket is its client end: local port → socket
  // inode → process, among sockets connected to PostgreSQL's port (a local port is unique per destination only).
  const appOfInode = new Map<string, string>();
  for (const [pid, group] of groups) {
    if (!group.endsWith('(node)')) continue;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) appOfInode.set(inode, group.replace(' (node)', ''));
      }
    } catch {
      // exited while listing
    }
  }
  const appOfPort = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const app = fields[9] && parseInt(fields[2]?.split(':')[1] ?? '', 16) === postgresPort ? appOfInode.get(fields[9]) : undefined;
      if (app) appOfPort.set(parseInt(fields[1]!.split(':')[1]!, 16), app);
    }
  }
  const backends = (await db.query(`SELECT pid, client_port FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]))
    .rows as { pid: number; client_port: number }[];
  for (const { pid, client_port } of backends) groups.set(pid, `postgres serving ${appOfPort.get(client_port) ?? 'others'}`);
  return groups;
}

/** CPU seconds per group between two samples (processes of either sample; ones gone by the end count until they were last seen). */
export function cpuByGroup(groups: Map<number, string>, before: Map<number, number>): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, group] of groups) {
    const now = cpuSecondsIfAlive(pid);
    if (now === undefined) continue;
    used.set(group, (used.get(group) ?? 0) + now - (before.get(pid) ?? 0));
  }
  return used;
}

/**
 * CPU seconds per group from `start()` to `stop()`, rescanning `scan()` every `everyMs` so backends a
 * pool opens (or closes) mid-run count too: a process first seen after the start counts from 0, one
 * gone by the end until it was last seen.
 */
export function cpuSampler(scan: () => Promise<Map<number, string>>, everyMs = 1000) {
  const groupOf = new Map<number, string>();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  const sample = async () => {
    for (const [pid, group] of await scan()) if (!groupOf.has(pid)) groupOf.set(pid, group);
    for (const pid of groupOf.keys()) {
      const cpu = cpuSecondsIfAlive(pid);
      if (cpu === undefined) continue;
      if (!first.has(pid)) first.set(pid, started ? 0 : cpu);
      last.set(pid, cpu);
    }
  };
  return {
    async start(): Promise<void> {
      await sample();
      started = true;
      timer = setInterval(() => void sample().catch(() => undefined), everyMs);
    },
    async stop(): Promise<Map<string, number>> {
      clearInterval(timer);
      await sample();
      const used = new Map<string, number>();
      for (const [pid, group] of groupOf) used.set(group, (used.get(group) ?? 0) + (last.get(pid) ?? 0) - (first.get(pid) ?? 0));
      return used;
    },
  };
}
