import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { IssuedApiKey } from '../projects/project.model.js';
import { ApiKey } from './api-key.model.js';
import { ApiKeyService } from './api-key.service.js';
import { CreateApiKeyInput } from './create-api-key.input.js';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Query(() => [ApiKey], { description: "The current project's API keys (never the keys themselves)." })
  apiKeys(@ProjectId() projectId: string) {
    return this.keys.list(projectId);
  }

  @Mutation(() => IssuedApiKey)
  createApiKey(@ProjectId() projectId: string, @Args('input') input: CreateApiKeyInput) {
    return this.keys.create(projectId, input.kind, input.name);
  }

  @Mutation(() => IssuedApiKey, { description: 'Issues a replacement key and revokes the old one.' })
  rotateApiKey(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.keys.rotate(projectId, id);
  }

  @Mutation(() => ApiKey, { description: 'Revokes a key; the gateway refuses it within seconds.' })
  revokeApiKey(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.keys.revoke(projectId, id);
  }
}
