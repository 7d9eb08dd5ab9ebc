import { Injectable } from '@nestjs/common';

/** The service's source of time, injectable so tests can pin it. */
@Injectable()
export class Clock {
  /** Millisecond precision, so timestamps round-trip exactly through cursors and JS dates. */
  now(): Date {
    return new Date();
  }
}
