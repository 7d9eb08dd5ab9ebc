import { Controller, Get, Headers, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isNatsReady, type Messaging } from '@boomerang/platform/messaging';
import type { SubgraphConfig } from './subgraph-config.js';
import { MESSAGING, SUBGRAPH_CONFIG } from './tokens.js';

/** The launcher sends its child's instance id here to learn that the answer comes from that child. */
export const INSTANCE_HEADER = 'x-boomerang-instance';

/** Liveness says the process runs; readiness says it can serve (database and NATS answer). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(SUBGRAPH_CONFIG) private readonly config: SubgraphConfig,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Headers(INSTANCE_HEADER) presentedInstance?: string) {
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => true)
      .catch(() => false);
    const nats = await isNatsReady(this.messaging.nc);
    // Echoed only to whoever already knows it, so a public answer reveals nothing about the process.
    const instance = this.config.BOOMERANG_INSTANCE_ID && presentedInstance === this.config.BOOMERANG_INSTANCE_ID ? { instance: presentedInstance } : {};
    const body = { status: database && nats ? 'ready' : 'unavailable', checks: { database, nats }, ...instance };
    if (body.status !== 'ready') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
