import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORTS, root as REPO_ROOT, subgraphNames } from '../dev/platform.mjs';

/** The repository root (see platform.mjs). */
export { REPO_ROOT };

/**
 * Default port of every subgraph: the URL composed into the supergraph, which the gateway
 * uses unless `SUBGRAPH_<NAME>_URL` overrides it. One table for the launcher and these tools
 * (`nx g ./tools/generators:subgraph` adds rows to it).
 */
export const SUBGRAPH_PORTS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(DEFAULT_PORTS).filter(([name]) => name !== 'gateway'),
);

export interface Subgraph {
  /** App folder name; also the subgraph name in the supergraph (`join__Graph`). */
  readonly name: string;
  readonly port: number;
  /** Default routing URL written into the supergraph. */
  readonly url: string;
  /** The committed SDL, `apps/<name>/schema.graphql`. */
  readonly schemaPath: string;
  /** The built entry point that prints the SDL with `--print-schema`. */
  readonly entryPath: string;
}

/** Falls back to the `defaultPort` an app passes to `SubgraphModule.forRoot` when the table lacks it. */
function portOf(root: string, name: string): number {
  const known = SUBGRAPH_PORTS[name];
  if (known) return known;
  const modulePath = join(root, 'apps', name, 'src', 'app.module.ts');
  const declared = existsSync(modulePath) ? /defaultPort:\s*(\d+)/.exec(readFileSync(modulePath, 'utf8'))?.[1] : undefined;
  if (!declared) throw new Error(`apps/${name}: no port in tools/supergraph/subgraphs.ts SUBGRAPH_PORTS and no defaultPort in its app.module.ts`);
  return Number(declared);
}

/** The subgraphs present in the tree, sorted by name (apps still being written are simply absent). */
export function discoverSubgraphs(root = REPO_ROOT): Subgraph[] {
  return subgraphNames(root).map((name) => {
    const port = portOf(root, name);
    return {
      name,
      port,
      url: `http://127.0.0.1:${port}/graphql`,
      schemaPath: join(root, 'apps', name, 'schema.graphql'),
      entryPath: join(root, 'dist', 'apps', name, 'src', 'main.js'),
    };
  });
}

/** Where the composed supergraph is committed. */
export const supergraphPath = (root = REPO_ROOT) => join(root, 'supergraph', 'supergraph.graphql');
