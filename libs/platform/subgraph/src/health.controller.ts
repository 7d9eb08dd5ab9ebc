import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isNatsReady, type Messaging } from '@boomerang/platform/messaging';
import { MESSAGING } from './tokens.js';

/** Liveness says the process runs; readiness says it can serve (database and NATS answer). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => true)
      .catch(() => false);
    const nats = await isNatsReady(this.messaging.nc);
    // pid: a launcher can tell its own process from another one answering on the same port.
    const body = { status: database && nats ? 'ready' : 'unavailable', checks: { database, nats }, pid: process.pid };
    if (body.status !== 'ready') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
