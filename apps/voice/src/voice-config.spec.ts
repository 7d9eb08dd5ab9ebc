import { ConfigError, loadConfig } from '@boomerang/platform/config';
import { voiceEnv } from './voice-config.js';

describe('voice config', () => {
  it('serves the public side on 4118 and hands out that address unless VOICE_PUBLIC_URL says otherwise', () => {
    expect(loadConfig(voiceEnv, {})).toMatchObject({ VOICE_PUBLIC_PORT: 4118, VOICE_PUBLIC_URL: 'http://127.0.0.1:4118' });
    expect(loadConfig(voiceEnv, { VOICE_PUBLIC_PORT: '5118' })).toMatchObject({ VOICE_PUBLIC_PORT: 5118, VOICE_PUBLIC_URL: 'http://127.0.0.1:5118' });
    expect(loadConfig(voiceEnv, { VOICE_PUBLIC_URL: 'https://calls.example.com' })).toMatchObject({ VOICE_PUBLIC_PORT: 4118, VOICE_PUBLIC_URL: 'https://calls.example.com' });
  });

  it('names an invalid public port or URL', () => {
    const invalid = () => loadConfig(voiceEnv, { VOICE_PUBLIC_PORT: '70000', VOICE_PUBLIC_URL: 'calls' });
    expect(invalid).toThrow(ConfigError);
    expect(invalid).toThrow(/- VOICE_PUBLIC_PORT: .*\n.*- VOICE_PUBLIC_URL: /);
  });
});
