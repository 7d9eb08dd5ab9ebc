import { generateFiles, logger, names, updateJson, workspaceRoot, type Tree } from '@nx/devkit';
import { join } from 'node:path';

export interface SubgraphGeneratorOptions {
  readonly name: string;
  readonly port?: number;
  readonly entity?: string;
}

/** Files the generator registers a new subgraph in (besides creating apps/<name>/). */
export const REGISTRIES = {
  /** The one port table: the launcher's, which the supergraph tools read too. */
  ports: 'tools/dev/platform.mjs',
  domains: 'libs/contracts/src/message.ts',
  messages: 'libs/contracts/src/messages.ts',
  compose: 'docker-compose.yml',
  e2eProject: 'apps/gateway-e2e/project.json',
} as const;

const FILES = join(workspaceRoot, 'tools', 'generators', 'subgraph', 'files');
const PORT_TABLE = /(export const DEFAULT_PORTS\s*=\s*\{)([^}]*)(\};)/;
const DOMAINS = /(export const DOMAINS\s*=\s*\[)([^\]]*)(\]\s*as const;)/;
const COMPOSE_MARKER = '  # tools/generators/subgraph adds new subgraph services above this line\n';

export function pluralize(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** Every spelling the templates need, from the service name and its core entity. */
export function templateVariables(service: string, entity: string, port: number, migrationTime: number) {
  const singular = names(entity);
  const plural = names(pluralize(entity));
  return {
    service,
    serviceConstant: names(service).constantName,
    port,
    migrationTime,
    className: singular.className,
    propertyName: singular.propertyName,
    fileName: singular.fileName,
    constantName: singular.constantName,
    tableName: singular.constantName.toLowerCase(),
    humanName: singular.fileName.replace(/-/g, ' '),
    classPlural: plural.className,
    propertyPlural: plural.propertyName,
    filePlural: plural.fileName,
    tablePlural: plural.constantName.toLowerCase(),
    humanPlural: plural.fileName.replace(/-/g, ' '),
    /** The `what` part of the created message: `<entity>.created`, or `created` when entity = service. */
    createdWhat: singular.fileName === service ? 'created' : `${singular.fileName.replace(/-/g, '_')}.created`,
    tmpl: '',
  };
}

function readPorts(tree: Tree): Record<string, number> {
  const source = tree.read(REGISTRIES.ports, 'utf-8');
  const table = source && PORT_TABLE.exec(source);
  if (!table) throw new Error(`cannot find DEFAULT_PORTS in ${REGISTRIES.ports}`);
  return Object.fromEntries([...table[2]!.matchAll(/([a-z0-9]+):\s*(\d+)/g)].map((match) => [match[1]!, Number(match[2])]));
}

function addToTable(tree: Tree, path: string, pattern: RegExp, row: string): void {
  const source = tree.read(path, 'utf-8');
  const table = source && pattern.exec(source);
  if (!source || !table) throw new Error(`cannot find the table to extend in ${path}`);
  const body = table[2]!.replace(/\s*$/, '');
  tree.write(path, source.replace(pattern, `$1${body}\n${row}\n$3`));
}

function addDomain(tree: Tree, service: string): void {
  const source = tree.read(REGISTRIES.domains, 'utf-8');
  const list = source && DOMAINS.exec(source);
  if (!source || !list) throw new Error(`cannot find DOMAINS in ${REGISTRIES.domains}`);
  if (new RegExp(`'${service}'`).test(list[2]!)) return;
  tree.write(REGISTRIES.domains, source.replace(DOMAINS, `$1${list[2]!.replace(/\s*$/, '')}, '${service}'$3`));
}

function addCreatedContract(tree: Tree, vars: ReturnType<typeof templateVariables>): void {
  const source = tree.read(REGISTRIES.messages, 'utf-8');
  if (source === null) throw new Error(`${REGISTRIES.messages} is missing`);
  const contract = `${vars.className}Created`;
  if (new RegExp(`export const ${contract}\\b`).test(source)) {
    throw new Error(`${REGISTRIES.messages} already exports ${contract}; choose another --entity`);
  }
  const section = `
// ${vars.service}
export const ${contract} = defineMessage(
  '${vars.service}',
  '${vars.createdWhat}',
  z.object({ ${vars.propertyName}Id: z.string().uuid(), name: z.string().min(1) }),
);
`;
  tree.write(REGISTRIES.messages, `${source.replace(/\s*$/, '\n')}${section}`);
}

function addComposeService(tree: Tree, service: string, port: number): void {
  const source = tree.read(REGISTRIES.compose, 'utf-8');
  if (!source || !source.includes(COMPOSE_MARKER)) {
    logger.warn(`${REGISTRIES.compose}: marker not found; add the ${service} service by hand`);
    return;
  }
  const block = `  ${service}:
    <<: *subgraph
    build: { context: ., args: { APP: ${service} } }
    environment: { <<: *app-env, PORT: "${port}" }
`;
  let next = source.replace(COMPOSE_MARKER, `${block}\n${COMPOSE_MARKER}`);
  const env = `      SUBGRAPH_${service.toUpperCase()}_URL: http://${service}:${port}/graphql`;
  next = next.replace(/((?:^ {6}SUBGRAPH_[A-Z0-9_]+_URL: .*\n)+)/m, `$1${env}\n`);
  next = next.replace(/(^ {4}depends_on: # gateway\n(?:^ {6}[a-z0-9-]+: \{ condition: service_healthy \}\n)+)/m, `$1      ${service}: { condition: service_healthy }\n`);
  tree.write(REGISTRIES.compose, next);
}

export default async function subgraphGenerator(tree: Tree, options: SubgraphGeneratorOptions) {
  const service = options.name;
  if (!/^[a-z][a-z0-9]*$/.test(service)) throw new Error(`--name must be one lower-case word (letters and digits), got "${service}"`);
  if (service === 'gateway' || service.endsWith('e2e')) throw new Error(`--name ${service} is reserved`);
  const appRoot = `apps/${service}`;
  if (tree.exists(appRoot) && tree.children(appRoot).length) throw new Error(`${appRoot} already exists`);

  const ports = readPorts(tree);
  if (ports[service]) throw new Error(`${service} is already in ${REGISTRIES.ports} (port ${ports[service]})`);
  const port = options.port ?? Math.max(4100, ...Object.values(ports)) + 1;
  const taken = Object.entries(ports).find(([, used]) => used === port);
  if (taken || port === 4000) throw new Error(`port ${port} is already used by ${taken?.[0] ?? 'gateway'}`);

  const entity = options.entity ?? service.replace(/([^s])s$/, '$1');
  const vars = templateVariables(service, entity, port, Date.now());
  if (vars.className === 'Query' || vars.className === 'Mutation') throw new Error(`--entity ${entity} is not a usable type name`);

  generateFiles(tree, FILES, appRoot, vars);
  addToTable(tree, REGISTRIES.ports, PORT_TABLE, `  ${service}: ${port},`);
  addDomain(tree, service);
  addCreatedContract(tree, vars);
  addComposeService(tree, service, port);
  if (tree.exists(REGISTRIES.e2eProject)) {
    updateJson(tree, REGISTRIES.e2eProject, (project: { implicitDependencies?: string[] }) => ({
      ...project,
      implicitDependencies: [...(project.implicitDependencies ?? []), service],
    }));
  }

  return () => {
    logger.info(`
${service} subgraph created in ${appRoot} (port ${port}), with ${vars.className}Created in ${REGISTRIES.messages}.
Next (tools/generators/README.md):
  node tools/build/build.mjs
  node --experimental-vm-modules node_modules/jest/bin/jest.js ${appRoot}
  npm run schema:generate && npm run schema:compose && npm run schema:check`);
  };
}
