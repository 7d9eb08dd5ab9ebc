import { Module } from '@nestjs/common';
import { Clock } from '@boomerang/platform/subgraph';

/** The one Clock every campaigns module shares (tests pin time on that instance). */
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
