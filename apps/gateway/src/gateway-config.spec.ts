import { ConfigError } from '@boomerang/platform/config';
import { loadGatewayConfig } from './gateway-config.js';

const required = { INTERNAL_SIGNING_SECRET: 's'.repeat(40), BOOMERANG_ADMIN_TOKEN: 'a'.repeat(40) };

describe('loadGatewayConfig: subgraph fetch settings', () => {
  it('gives every subgraph the defaults unless told otherwise', () => {
    expect(loadGatewayConfig(required).subgraphFetch('segments')).toEqual({ timeoutMs: 10_000, breakerFailures: 5, breakerOpenMs: 5000 });
  });

  it('takes SUBGRAPH_* as the defaults and SUBGRAPH_<NAME>_* for one subgraph', () => {
    const sut = loadGatewayConfig({
      ...required,
      SUBGRAPH_TIMEOUT_MS: '3000',
      SUBGRAPH_BREAKER_OPEN_MS: '2000',
      SUBGRAPH_EVENTS_TIMEOUT_MS: '30000',
      SUBGRAPH_EVENTS_BREAKER_FAILURES: '10',
      SUBGRAPH_EVENTS_URL: 'http://events:4103/graphql',
    });
    expect(sut.subgraphFetch('events')).toEqual({ timeoutMs: 30_000, breakerFailures: 10, breakerOpenMs: 2000 });
    expect(sut.subgraphFetch('segments')).toEqual({ timeoutMs: 3000, breakerFailures: 5, breakerOpenMs: 2000 });
    expect(sut.subgraphUrls).toEqual({ events: 'http://events:4103/graphql' });
  });

  it('names each invalid setting', () => {
    const load = () => loadGatewayConfig({ ...required, SUBGRAPH_SEGMENTS_TIMEOUT_MS: 'soon', SUBGRAPH_VOICE_BREAKER_OPEN_MS: '-1' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SUBGRAPH_SEGMENTS_TIMEOUT_MS: .*\n.*SUBGRAPH_VOICE_BREAKER_OPEN_MS: /);
  });
});
