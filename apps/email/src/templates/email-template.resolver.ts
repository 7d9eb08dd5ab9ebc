import { Args, ID, Mutation, Query, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { CreateEmailTemplateInput } from './dto/create-email-template.input.js';
import { EmailTemplate, RenderedEmail } from './email-template.model.js';
import { EmailTemplateService } from './email-template.service.js';
import type { EmailTemplateEntity } from './email-template.entity.js';

@Resolver(() => EmailTemplate)
export class EmailTemplateResolver {
  constructor(private readonly templates: EmailTemplateService) {}

  @Query(() => EmailTemplate)
  emailTemplate(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string) {
    return this.templates.get(projectId, id);
  }

  @Query(() => [EmailTemplate], { description: "The project's email templates, oldest first." })
  emailTemplates(@ProjectId() projectId: string) {
    return this.templates.list(projectId);
  }

  @Query(() => RenderedEmail, { description: 'Renders a template with data (a preview: nothing is sent or stored).' })
  renderEmailTemplate(
    @ProjectId() projectId: string,
    @Args('id', { type: () => ID }) id: string,
    @Args('data', { type: () => JSONScalar, nullable: true, description: 'A JSON object; default {}.' }) data?: unknown,
  ) {
    return this.templates.render(projectId, id, data);
  }

  @Mutation(() => EmailTemplate, { description: 'Creates a template once its subject and bodies compile.' })
  createEmailTemplate(@ProjectId() projectId: string, @Args('input') input: CreateEmailTemplateInput) {
    return this.templates.create(projectId, input);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, EmailTemplateEntity | null>('EmailTemplate', async (ids) => byKeys(ids, await this.templates.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}
