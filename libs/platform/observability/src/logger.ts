import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths whose values are personal data or secrets; pino replaces them before a line is
 * written, wherever they appear in a logged object.
 */
export const REDACTED_PATHS = [
  'email',
  'phone',
  '*.email',
  '*.phone',
  '*.*.email',
  '*.*.phone',
  'key',
  '*.key',
  'apiKey',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-boomerang-context"]',
  'req.headers["x-boomerang-signature"]',
  'headers.authorization',
  // A failed TypeORM query carries its bound values, PostgreSQL's detail quotes them
  // ("Key (email)=(…) already exists") and its where quotes a failed COPY line: the SQL and the
  // message are what a log needs.
  'err.parameters',
  'err.detail',
  'err.where',
  'err.driverError',
];

let destinationOverride: DestinationStream | undefined;

/** Test harnesses: loggers created after this write to `destination` (e.g. to assert what is never logged); undefined restores stdout. */
export function setLogDestination(destination: DestinationStream | undefined): void {
  destinationOverride = destination;
}

/** A logger for `service` at `level` (the app's validated LOG_LEVEL; this lib reads no environment). */
export function createLogger(service: string, level: string, options: LoggerOptions = {}): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...options,
  };
  return destinationOverride ? pino(settings, destinationOverride) : pino(settings);
}

/** Lets NestJS write its own messages through pino as structured lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
