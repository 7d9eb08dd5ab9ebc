import { loadSubgraphConfig } from './subgraph-config.js';

describe('loadSubgraphConfig', () => {
  const variables = ['PROBE_PORT', 'PORT', 'INTERNAL_SIGNING_SECRET'] as const;
  const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));

  beforeEach(() => {
    process.env.INTERNAL_SIGNING_SECRET = 'x'.repeat(32);
    delete process.env.PROBE_PORT;
    delete process.env.PORT;
  });
  afterEach(() => {
    for (const name of variables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('takes the port from <SERVICE>_PORT, else PORT, else the default', () => {
    expect(loadSubgraphConfig('probe', 4199).port).toBe(4199);
    process.env.PORT = '5000';
    expect(loadSubgraphConfig('probe', 4199).port).toBe(5000);
    process.env.PROBE_PORT = '0';
    expect(loadSubgraphConfig('probe', 4199)).toMatchObject({ port: 0, schema: 'probe' });
  });

  it('names an invalid <SERVICE>_PORT', () => {
    process.env.PROBE_PORT = 'eighty';
    expect(() => loadSubgraphConfig('probe', 4199)).toThrow(/PROBE_PORT:/);
  });
});
