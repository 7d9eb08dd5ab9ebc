import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** When the rollups began (`analytics_backfill.watermark`): events received before it are the backfill's, the later ones the consumer's. Set once, by the migration. */
@Injectable()
export class RollupWatermark {
  private cached?: Date;

  async get(manager: EntityManager): Promise<Date> {
    if (!this.cached) {
      const [{ watermark }] = (await manager.query(`SELECT watermark FROM analytics_backfill`)) as [{ watermark: Date }];
      this.cached = watermark;
    }
    return this.cached;
  }
}
