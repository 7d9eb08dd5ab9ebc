import { Module } from '@nestjs/common';
import { KnownProfiles } from '@boomerang/platform/subgraph';

/** Voice's projection of which profiles exist: call tokens and calls are only for known profiles. */
@Module({ providers: [KnownProfiles], exports: [KnownProfiles] })
export class KnownProfilesModule {}
