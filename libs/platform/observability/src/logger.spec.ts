import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from './logger.js';

describe('logger redaction', () => {
  it('never writes emails, phones or keys', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const sut = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    sut.info({ profile: { email: 'a@b.co', phone: '+15550001111' }, key: 'sk_live_secret' }, 'saved');
    const written = lines.join('');
    expect(written).not.toMatch(/a@b\.co|15550001111|sk_live_secret/);
    expect(written).toMatch(/\[redacted\]/);
  });
});
