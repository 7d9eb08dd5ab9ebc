import { Module } from '@nestjs/common';
import { CallTokens } from './call-tokens.js';

@Module({ providers: [CallTokens], exports: [CallTokens] })
export class TokensModule {}
