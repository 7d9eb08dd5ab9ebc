import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';

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
];

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...options,
  });
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
