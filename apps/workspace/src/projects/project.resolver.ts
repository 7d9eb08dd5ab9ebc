import { Args, Mutation, Query, Resolver, ResolveReference } from '@nestjs/graphql';
import { AdminOnly, byKeys, type RequestLoaders, ProjectId } from '@boomerang/platform/subgraph';
import { CreateProjectInput, UpdateProjectInput } from './dto/create-project.input.js';
import { CreatedProject, Project } from './project.model.js';
import { ProjectService } from './project.service.js';
import type { ProjectEntity } from './project.entity.js';

@Resolver(() => Project)
export class ProjectResolver {
  constructor(private readonly projects: ProjectService) {}

  @Query(() => Project, { description: 'The project the API key belongs to.' })
  project(@ProjectId() projectId: string) {
    return this.projects.get(projectId);
  }

  @AdminOnly()
  @Mutation(() => CreatedProject, { description: 'Admin token only: creates a project and its first keys.' })
  createProject(@Args('input') input: CreateProjectInput) {
    return this.projects.create(input.name, input.timeZone);
  }

  @Mutation(() => Project, { description: "Changes the project's settings (secret key)." })
  updateProject(@ProjectId() projectId: string, @Args('input') input: UpdateProjectInput) {
    return this.projects.update(projectId, input);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: { caller: { projectId: string | null }; loaders: RequestLoaders }) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, ProjectEntity | null>('Project', async (ids) => byKeys(ids, await this.projects.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
