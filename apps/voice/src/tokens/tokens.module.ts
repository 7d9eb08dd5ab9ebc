import { Module } from '@nestjs/common';
import { KnownProfilesModule } from '../calls/known-profiles.module.js';
import { CallTokens } from './call-tokens.js';

@Module({ imports: [KnownProfilesModule], providers: [CallTokens], exports: [CallTokens] })
export class TokensModule {}
