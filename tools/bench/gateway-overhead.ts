// Benchmark: the same one-subgraph query sent through the gateway and straight to the subgraph,
// in one run, on one machine. Prints requests/s and p50/p99 latency for both and their ratio,
// then reloads the supergraph and shows the query-plan cache is still warm.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { signCallerContext } from '@boomerang/platform/auth';
import { bearer, startTestPlatform } from '../dev/test-platform.js';
import { root } from '../dev/platform.mjs';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const QUERY = JSON.stringify({ query: 'query ProjectName { project { id name timeZone } }', operationName: 'ProjectName' });

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string>): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: QUERY,
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function timeOne(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`query failed: ${JSON.stringify(body.errors)}`);
  return performance.now() - started;
}

const supergraphPath = join(tmpdir(), `boomerang-bench-supergraph-${process.pid}.graphql`);
copyFileSync(join(root, 'supergraph/supergraph.graphql'), supergraphPath);
const signingSecret = 'bench-signing-secret-0123456789abcdef0123456789';
const platform = await startTestPlatform({ SUPERGRAPH_PATH: supergraphPath, INTERNAL_SIGNING_SECRET: signingSecret, LOG_LEVEL: 'info' });
try {
  const created = await platform.graphql<{ createProject: { project: { id: string }; secretKey: { key: string; apiKey: { id: string } } } }>(
    `mutation { createProject(input: { name: "Bench" }) { project { id } secretKey { key apiKey { id } } } }`,
    {},
    bearer(platform.adminToken),
  );
  const { project, secretKey } = created.data!.createProject;
  const gatewayHeaders = bearer(secretKey.key);
  const workspaceUrl = platform.subgraphUrl('workspace');
  const signedHeaders = () => signCallerContext({ projectId: project.id, keyId: secretKey.apiKey.id, scope: 'secret' }, QUERY, signingSecret);

  // Warm both paths (connection pools, JIT, the gateway's plan and key caches).
  for (let i = 0; i < 200; i++) {
    await timeOne(platform.gatewayUrl, gatewayHeaders);
    await timeOne(workspaceUrl, signedHeaders());
  }
  // The signed context covers QUERY and is fresh for CONTEXT_LIFETIME_MS (30 s): keep BENCH_DURATION_S below that.
  const direct = await load(workspaceUrl, signedHeaders());
  const viaGateway = await load(platform.gatewayUrl, gatewayHeaders);

  // Reload: a changed supergraph (same schema, new composition id) replaces the gateway's cache;
  // the warmer re-plans recent operations, so the first request after it is as fast as before.
  const coldDirect = await timeOne(platform.gatewayUrl, gatewayHeaders);
  writeFileSync(supergraphPath, readFileSync(supergraphPath, 'utf8') + `\n# reloaded ${Date.now()}\n`);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const afterReload = await timeOne(platform.gatewayUrl, gatewayHeaders);
  const reloaded = platform.logLines.some((line) => line.includes('query-plan cache re-warmed'));

  const row = (name: string, f: Figures) =>
    `${name.padEnd(22)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors}`;
  console.log(`\nOne-subgraph query (${CONNECTIONS} connections, ${DURATION_S} s each)`);
  console.log(row('direct to workspace', direct));
  console.log(row('through the gateway', viaGateway));
  console.log(`ratio gateway/direct: throughput ${(viaGateway.rps / direct.rps).toFixed(2)}x, p50 ${(viaGateway.p50 / Math.max(direct.p50, 0.5)).toFixed(2)}x, p99 ${(viaGateway.p99 / Math.max(direct.p99, 0.5)).toFixed(2)}x`);
  console.log(`supergraph reload: plan cache re-warmed=${reloaded}; single request before ${coldDirect.toFixed(1)} ms, first after reload ${afterReload.toFixed(1)} ms`);
} finally {
  await platform.stop();
}
