import { CampaignError, CampaignErrorCode } from '../campaigns/campaign.errors.js';
import { bucketOf } from '../delivery/delivery-policy.js';
import type { CampaignVariantInput } from './dto/campaign-variant.input.js';

export const MAX_VARIANTS = 5;

/** One A/B variant of an EMAIL campaign: its share of the sends (percent) and its own pinned template. */
export interface CampaignVariantValue {
  key: string;
  weight: number;
  templateId: string;
  templateVersion: number;
}

const invalid = (field: string, rule: string) => new CampaignError(CampaignErrorCode.InvalidDefinition, `Invalid value for ${field}: ${rule}`, field);

/** The variants of a definition (none: null); throws naming the field and the rule. */
export function checkVariants(inputs: readonly CampaignVariantInput[] | null | undefined, isEmail: boolean, field = 'input.variants'): CampaignVariantValue[] | null {
  if (!inputs || inputs.length === 0) return null;
  if (!isEmail) throw invalid(field, 'only EMAIL campaigns have variants (each with its email template)');
  if (inputs.length < 2 || inputs.length > MAX_VARIANTS) throw invalid(field, `give 2 to ${MAX_VARIANTS} variants`);
  const seen = new Set<string>();
  inputs.forEach((variant, index) => {
    if (seen.has(variant.key)) throw invalid(`${field}[${index}].key`, `"${variant.key}" is the key of an earlier variant`);
    seen.add(variant.key);
  });
  const total = inputs.reduce((sum, variant) => sum + variant.weight, 0);
  if (total !== 100) throw invalid(field, `the weights must add up to 100 (they add up to ${total})`);
  return inputs.map((variant) => ({ key: variant.key, weight: variant.weight, templateId: variant.templateId, templateVersion: variant.templateVersion }));
}

/**
 * The variant a profile gets: sticky (a hash of campaign and profile, independent of the holdout
 * and control buckets), in proportion to the weights; the winner once one was promoted.
 */
export function variantOf(campaignId: string, profileId: string, variants: readonly CampaignVariantValue[], winner: string | null): CampaignVariantValue {
  const promoted = winner ? variants.find((variant) => variant.key === winner) : undefined;
  if (promoted) return promoted;
  const bucket = bucketOf(`variant:${campaignId}:${profileId}`);
  let upTo = 0;
  for (const variant of variants) {
    upTo += variant.weight * 100;
    if (bucket < upTo) return variant;
  }
  return variants[variants.length - 1]!;
}
