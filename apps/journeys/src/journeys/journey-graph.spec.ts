import { checkJourneyGraph, MAX_NODES, type UncheckedJourneyGraph } from './journey-graph.js';

const valid: UncheckedJourneyGraph = {
  nodes: [
    { id: 'start', type: 'entry', config: { event: 'signed_up' } },
    { id: 'pause', type: 'wait', config: { hours: 24 } },
    { id: 'mail', type: 'send' },
    { id: 'done', type: 'exit', config: null },
  ],
  edges: [
    { from: 'start', to: 'pause' },
    { from: 'pause', to: 'mail' },
    { from: 'mail', to: 'done' },
  ],
};

const violationOf = (graph: UncheckedJourneyGraph) => {
  const result = checkJourneyGraph(graph);
  return 'violation' in result ? result.violation : undefined;
};

describe('checkJourneyGraph', () => {
  it('accepts a well-formed graph and normalises missing configs to {}', () => {
    const result = checkJourneyGraph(valid);
    expect('graph' in result && result.graph.nodes.map((node) => node.config)).toEqual([{ event: 'signed_up' }, { hours: 24 }, {}, {}]);
  });

  it('names a duplicate node id', () => {
    const graph = { ...valid, nodes: [...valid.nodes, { id: 'pause', type: 'exit' }] };
    expect(violationOf(graph)).toEqual({ path: 'nodes[4].id', message: 'node id "pause" is already used by nodes[1]' });
  });

  it('names an empty node id', () => {
    expect(violationOf({ ...valid, nodes: [{ id: ' ', type: 'entry' }] })?.path).toBe('nodes[0].id');
  });

  it('names an unknown node type', () => {
    const nodes = valid.nodes.map((node, index) => (index === 2 ? { ...node, type: 'sms' } : node));
    expect(violationOf({ ...valid, nodes })?.path).toBe('nodes[2].type');
  });

  it('requires exactly one entry node', () => {
    expect(violationOf({ nodes: [{ id: 'a', type: 'exit' }], edges: [] })?.path).toBe('nodes');
    const twoEntries = { ...valid, nodes: [...valid.nodes, { id: 'again', type: 'entry' }] };
    expect(violationOf(twoEntries)).toMatchObject({ path: 'nodes[4].type' });
  });

  it('names edge endpoints that do not exist', () => {
    expect(violationOf({ ...valid, edges: [...valid.edges, { from: 'ghost', to: 'done' }] })?.path).toBe('edges[3].from');
    expect(violationOf({ ...valid, edges: [valid.edges[0]!, valid.edges[1]!, { from: 'mail', to: 'ghost' }] })?.path).toBe('edges[2].to');
  });

  it('requires object configs', () => {
    const nodes = valid.nodes.map((node, index) => (index === 1 ? { ...node, config: [1, 2] } : node));
    expect(violationOf({ ...valid, nodes })?.path).toBe('nodes[1].config');
  });

  it('bounds the graph size', () => {
    const nodes = Array.from({ length: MAX_NODES + 1 }, (_, index) => ({ id: `n${index}`, type: index === 0 ? 'entry' : 'wait' }));
    expect(violationOf({ nodes, edges: [] })?.path).toBe('nodes');
  });
});
