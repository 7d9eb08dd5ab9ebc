import { Module } from '@nestjs/common';
import { ProfilePropertyResolver } from './profile-property.resolver.js';
import { PropertyCatalog } from './property-catalog.js';

/** The property catalog (`profile_property`): each property's type per project, and `profileProperties`. */
@Module({ providers: [PropertyCatalog, ProfilePropertyResolver], exports: [PropertyCatalog] })
export class PropertiesModule {}
