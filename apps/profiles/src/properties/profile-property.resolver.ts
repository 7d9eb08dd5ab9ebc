import { Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { ProfileProperty } from './profile-property.model.js';
import { PropertyCatalog } from './property-catalog.js';

@Resolver(() => ProfileProperty)
export class ProfilePropertyResolver {
  constructor(private readonly catalog: PropertyCatalog) {}

  @Query(() => [ProfileProperty], { description: "The project's profile properties and their types, by name." })
  profileProperties(@ProjectId() projectId: string) {
    return this.catalog.list(projectId);
  }
}
