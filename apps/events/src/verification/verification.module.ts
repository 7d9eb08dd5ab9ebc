import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { IngestConfigModule } from '../ingestion/ingest-config.js';
import { IngestPolicies } from './ingest-policies.js';
import { UserTokenResolver } from './user-token.resolver.js';
import { UserVerification } from './user-verification.js';
import { WriteKeys } from './write-keys.js';

/** Who sends: write keys (WriteKeys), user tokens and whether a call is verified (UserVerification), projects' ingest policies. */
@Module({
  imports: [ClockModule, IngestConfigModule],
  providers: [WriteKeys, IngestPolicies, UserVerification, UserTokenResolver],
  exports: [WriteKeys, UserVerification],
})
export class VerificationModule {}
