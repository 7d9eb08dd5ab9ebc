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

/** When the event was received: the millisecond time of its UUIDv7 id (events mints them at reception). */
export function receivedAt(eventId: string): number {
  return Number.parseInt(eventId.slice(0, 8) + eventId.slice(9, 13), 16);
}

/** The smallest UUIDv7 of a millisecond: ids below it were minted before. */
export function uuidV7Floor(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}
