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
