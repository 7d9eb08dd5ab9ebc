import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { ApiKeyEntity } from './api-keys/api-key.entity.js';
import { ApiKeyResolver } from './api-keys/api-key.resolver.js';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { KeyResolutionResponder } from './api-keys/key-resolution.responder.js';
import { CreateProjectsAndKeys1763900000100 } from './migrations/1763900000100-create-projects-and-keys.js';
import { AddProjectUserVerification1763900000200 } from './migrations/1763900000200-add-project-user-verification.js';
import { IngestPolicyResponder } from './projects/ingest-policy.responder.js';
import { ProjectEntity } from './projects/project.entity.js';
import { ProjectResolver } from './projects/project.resolver.js';
import { ProjectService } from './projects/project.service.js';

export const WORKSPACE_ENTITIES = [ProjectEntity, ApiKeyEntity];
export const WORKSPACE_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateProjectsAndKeys1763900000100, AddProjectUserVerification1763900000200];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'workspace',
      defaultPort: 4101,
      entities: WORKSPACE_ENTITIES,
      migrations: WORKSPACE_MIGRATIONS,
      ownsStream: 'workspace',
    }),
  ],
  providers: [ProjectService, ProjectResolver, ApiKeyService, ApiKeyResolver, KeyResolutionResponder, IngestPolicyResponder],
})
export class AppModule {}
