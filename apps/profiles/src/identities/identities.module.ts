import { Module } from '@nestjs/common';
import { IdentityLookupResponder } from './identity-lookup.responder.js';
import { IdentityRepository } from './identity.repository.js';

/** `profile_identity`: every way a profile is recognised, and ResolveIdentities. Resolution and merging (merging/) build on it. */
@Module({ providers: [IdentityRepository, IdentityLookupResponder], exports: [IdentityRepository] })
export class IdentitiesModule {}
