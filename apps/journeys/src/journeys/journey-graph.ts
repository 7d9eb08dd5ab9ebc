/** The node kinds a journey can contain. */
export const JOURNEY_NODE_TYPES = ['entry', 'wait', 'send', 'branch', 'experiment', 'exit'] as const;
export type JourneyNodeType = (typeof JOURNEY_NODE_TYPES)[number];

export interface JourneyGraphNode {
  id: string;
  type: JourneyNodeType;
  config: Record<string, unknown>;
}

export interface JourneyGraphEdge {
  from: string;
  to: string;
}

export interface JourneyGraphValue {
  nodes: JourneyGraphNode[];
  edges: JourneyGraphEdge[];
}

/** What a client sends: types and configs not yet checked. */
export interface UncheckedJourneyGraph {
  nodes: readonly { id: string; type: string; config?: unknown }[];
  edges: readonly { from: string; to: string }[];
}

export const MAX_NODES = 500;
export const MAX_EDGES = 2000;
const MAX_NODE_ID_LENGTH = 64;

/** A graph rule broken, with the path (relative to the graph) of the offending value. */
export interface GraphViolation {
  path: string;
  message: string;
}

const isNodeType = (type: string): type is JourneyNodeType => (JOURNEY_NODE_TYPES as readonly string[]).includes(type);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a journey graph's structure: unique non-empty node ids, known node types, object
 * configs, exactly one entry node, and edges whose endpoints exist. Returns the first
 * violation (in document order) or the normalised graph.
 */
export function checkJourneyGraph(graph: UncheckedJourneyGraph): { graph: JourneyGraphValue } | { violation: GraphViolation } {
  const fail = (path: string, message: string) => ({ violation: { path, message } });
  if (graph.nodes.length > MAX_NODES) return fail('nodes', `a journey has at most ${MAX_NODES} nodes`);
  if (graph.edges.length > MAX_EDGES) return fail('edges', `a journey has at most ${MAX_EDGES} edges`);

  const seen = new Map<string, number>();
  let entry: number | undefined;
  const nodes: JourneyGraphNode[] = [];
  for (const [index, node] of graph.nodes.entries()) {
    const at = `nodes[${index}]`;
    if (node.id.trim() === '') return fail(`${at}.id`, 'node id must not be empty');
    if (node.id.length > MAX_NODE_ID_LENGTH) return fail(`${at}.id`, `node id must be at most ${MAX_NODE_ID_LENGTH} characters`);
    const earlier = seen.get(node.id);
    if (earlier !== undefined) return fail(`${at}.id`, `node id "${node.id}" is already used by nodes[${earlier}]`);
    seen.set(node.id, index);
    if (!isNodeType(node.type)) return fail(`${at}.type`, `node type "${node.type}" must be one of ${JOURNEY_NODE_TYPES.join(', ')}`);
    if (node.type === 'entry') {
      if (entry !== undefined) return fail(`${at}.type`, `a journey has exactly one entry node; nodes[${entry}] is already the entry`);
      entry = index;
    }
    if (node.config !== undefined && node.config !== null && !isObject(node.config)) return fail(`${at}.config`, 'node config must be a JSON object');
    nodes.push({ id: node.id, type: node.type, config: isObject(node.config) ? node.config : {} });
  }
  if (entry === undefined) return fail('nodes', 'a journey has exactly one entry node; none was given');

  for (const [index, edge] of graph.edges.entries()) {
    if (!seen.has(edge.from)) return fail(`edges[${index}].from`, `edge starts at unknown node "${edge.from}"`);
    if (!seen.has(edge.to)) return fail(`edges[${index}].to`, `edge ends at unknown node "${edge.to}"`);
  }
  return { graph: { nodes, edges: graph.edges.map(({ from, to }) => ({ from, to })) } };
}
