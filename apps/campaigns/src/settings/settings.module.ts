import { Module } from '@nestjs/common';
import { DeliverySettingsRepository } from './delivery-settings.repository.js';
import { DeliverySettingsResolver } from './delivery-settings.resolver.js';

@Module({ providers: [DeliverySettingsRepository, DeliverySettingsResolver], exports: [DeliverySettingsRepository] })
export class SettingsModule {}
