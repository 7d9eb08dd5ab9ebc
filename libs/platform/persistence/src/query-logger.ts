import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';

/**
 * TypeORM's logging through pino, without query parameters: parameters carry personal data
 * (emails, phones, properties), so a failed query is logged by its SQL and error message only.
 */
export class ParameterFreeQueryLogger implements TypeOrmLogger {
  constructor(private readonly logger?: Logger) {}

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    this.logger?.warn({ query, error: message, code: (error as { code?: string }).code }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger?.warn({ query, ms: time }, 'slow query');
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger?.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.warn(String(message));
  }
}
