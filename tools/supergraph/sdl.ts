import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT, type Subgraph } from './subgraphs.js';

/** Any 32+ characters satisfy the config check; printing the schema verifies no signature. */
const PLACEHOLDER_SIGNING_SECRET = 'schema-print-placeholder-secret-000000000';
const PRINT_TIMEOUT_MS = 120_000;

/** One trailing newline, no trailing blanks: the form SDL files are committed in. */
export const normalizeSdl = (sdl: string) => `${sdl.replace(/\s+$/, '')}\n`;

/**
 * Boots the built app with `--print-schema` and returns its SDL. The app connects to its
 * database and NATS while it starts, so both must be reachable.
 */
export function printSubgraphSdl(subgraph: Subgraph, root = REPO_ROOT): Promise<string> {
  if (!existsSync(subgraph.entryPath)) {
    return Promise.reject(new Error(`${relative(root, subgraph.entryPath)} is missing: run \`node tools/build/build.mjs\` first`));
  }
  return new Promise((resolvePrint, rejectPrint) => {
    const child = spawn(process.execPath, [subgraph.entryPath, '--print-schema'], {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        INTERNAL_SIGNING_SECRET: process.env.INTERNAL_SIGNING_SECRET ?? PLACEHOLDER_SIGNING_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), PRINT_TIMEOUT_MS);
    child.on('error', rejectPrint);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const sdl = Buffer.concat(stdout).toString('utf8');
      if (code === 0 && sdl.trim()) return resolvePrint(normalizeSdl(sdl));
      const reason = signal ? `killed by ${signal}` : `exited with ${code}`;
      const detail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-15).join('\n') || '(no output)';
      rejectPrint(new Error(`${subgraph.name} --print-schema ${reason}:\n${detail}`));
    });
  });
}

/** Runs `task` over `items`, at most `limit` at a time, keeping the input order in the results. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface PrintedSdl {
  readonly subgraph: Subgraph;
  readonly sdl?: string;
  readonly error?: Error;
  /** The committed file, when there is one. */
  readonly committed?: string;
}

/** Prints every subgraph's SDL, two at a time (each boot compiles a schema and opens connections). */
export async function printAll(subgraphs: readonly Subgraph[], root = REPO_ROOT, concurrency = 2): Promise<PrintedSdl[]> {
  const settled = await mapWithLimit(subgraphs, concurrency, (subgraph) => printSubgraphSdl(subgraph, root));
  return subgraphs.map((subgraph, index) => {
    const result = settled[index]!;
    const committed = existsSync(subgraph.schemaPath) ? readFileSync(subgraph.schemaPath, 'utf8') : undefined;
    return result.status === 'fulfilled'
      ? { subgraph, sdl: result.value, committed }
      : { subgraph, error: result.reason instanceof Error ? result.reason : new Error(String(result.reason)), committed };
  });
}

/** True when the committed SDL is missing or differs from the printed one. */
export const hasDrift = (printed: PrintedSdl) => printed.sdl !== undefined && (printed.committed === undefined || normalizeSdl(printed.committed) !== printed.sdl);
