import { Module } from '@nestjs/common';
import { IdentityRepository } from './identity.repository.js';

/** `profile_identity`: every way a profile is recognised. Resolution and merging (merging/) build on it. */
@Module({ providers: [IdentityRepository], exports: [IdentityRepository] })
export class IdentitiesModule {}
