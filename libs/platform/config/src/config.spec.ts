import { z } from 'zod';
import { ConfigError, configProvider, loadConfig, platformEnv } from './config.js';

describe('loadConfig', () => {
  const secret = 'x'.repeat(32);

  it('applies defaults and keeps what is set', () => {
    const sut = loadConfig(platformEnv, { INTERNAL_SIGNING_SECRET: secret, NATS_URL: 'nats://nats:4222' });
    expect(sut.NATS_URL).toBe('nats://nats:4222');
    expect(sut.DATABASE_URL).toMatch(/^postgres:/);
    expect(sut.LOG_LEVEL).toBe('info');
  });

  it('names every invalid variable and the rule it breaks', () => {
    const schema = platformEnv.extend({ PORT: z.coerce.number().int().positive() });
    expect(() => loadConfig(schema, { INTERNAL_SIGNING_SECRET: 'short', PORT: 'abc' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { INTERNAL_SIGNING_SECRET: 'short', PORT: 'abc' });
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/INTERNAL_SIGNING_SECRET: must be at least 32 characters/);
      expect(problems).toMatch(/PORT:/);
    }
  });
});

describe('NATS settings', () => {
  const secret = 'x'.repeat(32);
  const load = (env: Record<string, string>) => loadConfig(platformEnv, { INTERNAL_SIGNING_SECRET: secret, ...env });
  const problemsOf = (env: Record<string, string>): string => {
    try {
      load(env);
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
    throw new Error('expected a ConfigError');
  };

  it('takes every node of a cluster in NATS_URL, and one copy of each stream unless told otherwise', () => {
    const sut = load({ NATS_URL: 'nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224' });
    expect(sut.NATS_URL).toBe('nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224');
    expect(sut.NATS_STREAM_REPLICAS).toBe(1);
    expect(load({ NATS_URL: 'tls://nats-1:4222,nats-2:4222', NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS).toBe(3);
    expect(load({ NATS_STREAM_REPLICAS: '5' }).NATS_STREAM_REPLICAS).toBe(5);
  });

  it('refuses a server list with an empty or foreign entry, naming NATS_URL and the rule', () => {
    for (const url of ['nats://a:4222,', 'nats://a:4222,,nats://b:4222', 'http://a:4222', 'nats://a:4222 nats://b:4222']) {
      expect(problemsOf({ NATS_URL: url })).toMatch(/^NATS_URL: must be a NATS server URL, or several separated by commas/);
    }
  });

  it('refuses an even or out-of-range replica count, naming NATS_STREAM_REPLICAS and the rule', () => {
    for (const replicas of ['0', '2', '4', '7', 'three']) {
      expect(problemsOf({ NATS_STREAM_REPLICAS: replicas })).toBe('NATS_STREAM_REPLICAS: must be 1, 3 or 5 (an odd number of copies, at most the nodes of the NATS cluster)');
    }
  });
});

describe('configProvider', () => {
  const TOKEN = Symbol('TOKEN');
  const schema = z.object({ CONFIG_SPEC_LIMIT: z.coerce.number().int().default(7) });

  afterEach(() => delete process.env.CONFIG_SPEC_LIMIT);

  it('loads the settings when the app creates the provider, not when it is declared', () => {
    const sut = configProvider(TOKEN, schema);
    process.env.CONFIG_SPEC_LIMIT = '12';
    expect(sut.provide).toBe(TOKEN);
    expect(sut.useFactory()).toEqual({ CONFIG_SPEC_LIMIT: 12 });
  });

  it('names the invalid variable', () => {
    process.env.CONFIG_SPEC_LIMIT = 'many';
    expect(() => configProvider(TOKEN, schema).useFactory()).toThrow(/CONFIG_SPEC_LIMIT:/);
  });
});
