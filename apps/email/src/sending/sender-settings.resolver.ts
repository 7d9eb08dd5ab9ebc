import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { SenderSettings, SenderSettingsInput } from './sender-settings.model.js';
import { SenderSettingsService } from './sender-settings.service.js';

@Resolver(() => SenderSettings)
export class SenderSettingsResolver {
  constructor(private readonly settings: SenderSettingsService) {}

  @Query(() => SenderSettings, { description: "The project's email sender settings (the SMTP URL is never returned)." })
  emailSenderSettings(@ProjectId() projectId: string) {
    return this.settings.get(projectId);
  }

  @Mutation(() => SenderSettings, { description: 'Sets how the project sends email; the SMTP URL is stored encrypted.' })
  setEmailSenderSettings(@ProjectId() projectId: string, @Args('input') input: SenderSettingsInput) {
    return this.settings.set(projectId, input);
  }
}
