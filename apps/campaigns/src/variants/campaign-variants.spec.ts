import { CampaignError } from '../campaigns/campaign.errors.js';
import { checkVariants, variantOf } from './campaign-variants.js';

const template = { templateId: '00000000-0000-4000-8000-000000000001', templateVersion: 1 };
const ids = Array.from({ length: 20_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const fieldOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as CampaignError).field;
  }
};

describe('campaign variants', () => {
  const variants = checkVariants([{ key: 'A', weight: 20, ...template }, { key: 'B', weight: 30, ...template }, { key: 'C', weight: 50, ...template }], true)!;

  it('gives each profile the same variant, in proportion to the weights', () => {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(variantOf('c1', id, variants, null).key, (counts.get(variantOf('c1', id, variants, null).key) ?? 0) + 1);
    expect(counts.get('A')! / ids.length).toBeCloseTo(0.2, 1);
    expect(counts.get('B')! / ids.length).toBeCloseTo(0.3, 1);
    expect(counts.get('C')! / ids.length).toBeCloseTo(0.5, 1);
    expect(ids.map((id) => variantOf('c1', id, variants, null).key)).toEqual(ids.map((id) => variantOf('c1', id, [...variants], null).key));
    expect(ids.filter((id) => variantOf('c1', id, variants, 'B').key !== 'B')).toEqual([]);
  });

  it('names the field of each broken rule', () => {
    expect(fieldOf(() => checkVariants([{ key: 'A', weight: 50, ...template }, { key: 'A', weight: 50, ...template }], true))).toBe('input.variants[1].key');
    expect(fieldOf(() => checkVariants([{ key: 'A', weight: 50, ...template }, { key: 'B', weight: 40, ...template }], true))).toBe('input.variants');
    expect(fieldOf(() => checkVariants(Array.from({ length: 6 }, (_, i) => ({ key: `V${i}`, weight: 10, ...template })), true))).toBe('input.variants');
    expect(fieldOf(() => checkVariants([{ key: 'A', weight: 50, ...template }, { key: 'B', weight: 50, ...template }], false))).toBe('input.variants');
    expect(checkVariants(null, true)).toBeNull();
  });
});
