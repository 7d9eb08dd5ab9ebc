import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ProjectId } from '@boomerang/platform/subgraph';
import { ConfigureRfmInput } from './dto/configure-rfm.input.js';
import { Rfm } from './rfm.model.js';
import { RfmService } from './rfm.service.js';
import { RfmError, RfmErrorCode } from './rfm.errors.js';

@Resolver(() => Rfm)
export class RfmResolver {
  constructor(private readonly rfmService: RfmService) {}

  @Query(() => Rfm, { nullable: true, description: "The project's RFM family: configuration, last computation, and per class its segment, size and thresholds; null until configured." })
  rfm(@ProjectId() projectId: string) {
    return this.rfmService.view(projectId);
  }

  @Mutation(() => Rfm, {
    description:
      'Creates or replaces the RFM configuration: the family of ten class segments is made on first use and computed before this returns (see `failure` if that could not be done; it is retried).',
  })
  configureRfm(@ProjectId() projectId: string, @Args('input') input: ConfigureRfmInput) {
    return this.rfmService.configure(projectId, input);
  }

  @Mutation(() => Rfm, { description: 'Computes the RFM family now (it is also computed daily at `recomputeAt`); class changes are published as exits and entries.' })
  async recomputeRfm(@ProjectId() projectId: string) {
    await this.rfmService.recompute(projectId);
    const view = await this.rfmService.view(projectId);
    if (!view) throw new RfmError(RfmErrorCode.NotConfigured, 'RFM is not configured in this project; call configureRfm first');
    return view;
  }
}
