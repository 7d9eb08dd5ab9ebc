import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, REDACTED_PATHS, setLogDestination } from './logger.js';

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

  it('never writes the line a failed COPY quotes', () => {
    const lines: string[] = [];
    setLogDestination({ write: (line: string) => void lines.push(line) });
    const sut = createLogger('test', 'info');
    setLogDestination(undefined);
    const failed = Object.assign(new Error('new row for relation "event_default" violates check constraint "event_properties_check"'), {
      where: 'COPY event, line 1: "0190…\t{""email"": ""a@b.co""}"',
    });
    sut.error({ err: failed }, 'ingestion request failed');
    const written = lines.join('');
    expect(written).toMatch(/violates check constraint/);
    expect(written).not.toMatch(/a@b\.co/);
  });

  it('never writes the bound values or the detail of a failed query', () => {
    const lines: string[] = [];
    setLogDestination({ write: (line: string) => void lines.push(line) });
    const sut = createLogger('test', 'info');
    setLogDestination(undefined);
    const failed = Object.assign(new Error('duplicate key value violates unique constraint "profile_identity_pkey"'), {
      query: 'INSERT INTO profile_identity …',
      parameters: ['a@b.co', '+15550001111'],
      detail: 'Key (kind, value)=(email, a@b.co) already exists.',
      driverError: { detail: 'Key (kind, value)=(email, a@b.co) already exists.' },
    });
    sut.warn({ err: failed }, 'query failed');
    const written = lines.join('');
    expect(written).toMatch(/duplicate key value violates unique constraint/);
    expect(written).not.toMatch(/a@b\.co|15550001111/);
  });
});
