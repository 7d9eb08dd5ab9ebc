// Helpers the benchmarks share.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, like pidusage, from /proc/<pid>/stat; throws once it is gone. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state (field 3); utime/stime are 14/15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/**
 * CPU seconds used so far by every process whose command name is `program` (e.g. `postgres`: the
 * server and all its backends, `nats-server`). A process that ends between two readings takes its
 * seconds with it, so read it around a window in which the program's processes live on.
 */
export function programCpuSeconds(program: string): number {
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === program) seconds += processCpuSeconds(Number(entry));
    } catch {
      // gone since the listing
    }
  }
  return seconds;
}

/** CPU seconds the whole machine has been busy (every core, not idle or waiting for I/O), from /proc/stat. */
export function machineBusySeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  // cpu user nice system idle iowait irq softirq steal …
  const ticks = cpu!.trim().split(/\s+/).slice(1).map(Number);
  const busy = ticks.reduce((sum, value) => sum + value, 0) - ticks[3]! - ticks[4]!;
  return busy / CLOCK_TICKS_PER_S;
}
