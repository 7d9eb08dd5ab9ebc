import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, ResolveReference } from '@nestjs/graphql';
import { byKeys, JSONScalar, ProjectId, type SubgraphContext } from '@boomerang/platform/subgraph';
import { CreateEmailTemplateInput } from './dto/create-email-template.input.js';
import { UpdateEmailTemplateInput } from './dto/update-email-template.input.js';
import { EmailTemplate, EmailTemplateVersion, RenderedEmail } from './email-template.model.js';
import { EmailTemplateError, EmailTemplateErrorCode } from './email-template.errors.js';
import { EmailTemplateService } from './email-template.service.js';

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

  @Query(() => RenderedEmail, { description: 'Renders a template with data as its whole scope (a preview: nothing is sent or stored). A variable the data lacks is an error.' })
  renderEmailTemplate(
    @ProjectId() projectId: string,
    @Args('id', { type: () => ID }) id: string,
    @Args('data', { type: () => JSONScalar, nullable: true, description: 'A JSON object; default {}.' }) data?: unknown,
    @Args('version', { type: () => Int, nullable: true, description: 'Default: the current version.' }) version?: number | null,
  ) {
    return this.templates.render(projectId, id, data, version);
  }

  @Query(() => RenderedEmail, {
    description: 'Renders a template for a real profile as a send would (profile properties and attributes; optional event and campaign data). A variable the profile lacks is an error.',
  })
  previewEmail(
    @ProjectId() projectId: string,
    @Args('templateId', { type: () => ID }) templateId: string,
    @Args('profileId', { type: () => ID }) profileId: string,
    @Args('version', { type: () => Int, nullable: true, description: 'Default: the current version.' }) version?: number | null,
    @Args('event', { type: () => JSONScalar, nullable: true, description: 'The triggering event\'s properties, as `event`.' }) event?: Record<string, unknown> | null,
    @Args('campaign', { type: () => JSONScalar, nullable: true, description: 'Campaign data, as `campaign`.' }) campaign?: Record<string, unknown> | null,
  ) {
    return this.templates.preview(projectId, templateId, profileId, { version, event: objectArgument(event, 'event'), campaign: objectArgument(campaign, 'campaign') });
  }

  @Mutation(() => EmailTemplate, { description: 'Creates a template (version 1) once its parts compile and its Gmail annotations follow Gmail\'s rules.' })
  createEmailTemplate(@ProjectId() projectId: string, @Args('input') input: CreateEmailTemplateInput) {
    return this.templates.create(projectId, input);
  }

  @Mutation(() => EmailTemplate, { description: 'Adds a version with these fields changed; earlier versions stay as they were.' })
  updateEmailTemplate(@ProjectId() projectId: string, @Args('id', { type: () => ID }) id: string, @Args('input') input: UpdateEmailTemplateInput) {
    return this.templates.update(projectId, id, input);
  }

  @ResolveField(() => [EmailTemplateVersion], { description: 'Every version, newest first.' })
  versions(@ProjectId() projectId: string, @Parent() template: EmailTemplate) {
    return this.templates.versions(projectId, template.id);
  }

  @ResolveReference()
  resolveReference(reference: { id: string }, context: SubgraphContext) {
    const projectId = context.caller.projectId;
    if (!projectId) return null;
    return context.loaders
      .get<string, EmailTemplate | null>('EmailTemplate', async (ids) => byKeys(ids, await this.templates.findMany(projectId, ids), (row) => row.id, null))
      .load(reference.id);
  }
}

function objectArgument(value: unknown, field: string): Record<string, unknown> {
  if (value == null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new EmailTemplateError(EmailTemplateErrorCode.InvalidRenderData, `Invalid value for ${field}: must be a JSON object`, field);
  }
  return value as Record<string, unknown>;
}
