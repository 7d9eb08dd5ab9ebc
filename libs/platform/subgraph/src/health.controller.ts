import { Controller, Get, Headers, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isNatsReady, type Messaging } from '@boomerang/platform/messaging';
import type { SubgraphConfig } from './subgraph-config.js';
import { MESSAGING, SUBGRAPH_CONFIG } from './tokens.js';

/** The launcher sends its child's instance id here to learn that the answer comes from that child. */
export const INSTANCE_HEADER = 'x-boomerang-instance';

/**
 * Liveness says the process runs; readiness says it can serve (database and NATS answer, and it
 * is not shutting down: from SIGTERM on it answers 503 `draining`, see bootstrap.ts).
 */
@Controller('health')
export class HealthController {
  private draining = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(SUBGRAPH_CONFIG) private readonly config: SubgraphConfig,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** From now on readiness answers 503: the process is shutting down. */
  beginDraining(): void {
    this.draining = true;
  }

  @Get('ready')
  async ready(@Headers(INSTANCE_HEADER) presentedInstance?: string) {
    // Echoed only to whoever already knows it, so a public answer reveals nothing about the process.
    const instance = this.config.BOOMERANG_INSTANCE_ID && presentedInstance === this.config.BOOMERANG_INSTANCE_ID ? { instance: presentedInstance } : {};
    if (this.draining) throw new HttpException({ status: 'draining', ...instance }, HttpStatus.SERVICE_UNAVAILABLE);
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => true)
      .catch(() => false);
    const nats = await isNatsReady(this.messaging.nc);
    const body = { status: database && nats ? 'ready' : 'unavailable', checks: { database, nats }, ...instance };
    if (body.status !== 'ready') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
