import { randomUUID } from 'node:crypto';
import { secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';

const FIELDS = `id name status controlPercent throttlePerMinute targeting { everyone includeSegmentIds } schedule { rrule timeZone } email { templateId templateVersion } goal { event withinDays } trigger { event { name } delayMinutes }`;

interface CampaignView {
  id: string;
  name: string;
  status: string;
  controlPercent: number;
  throttlePerMinute: number | null;
  targeting: { everyone: boolean; includeSegmentIds: string[] };
  schedule: { rrule: string | null; timeZone: string } | null;
  email: { templateId: string; templateVersion: number } | null;
  goal: { event: string; withinDays: number } | null;
  trigger: { event: { name: string }; delayMinutes: number } | null;
}

describe('campaign editing and lifecycle mutations', () => {
  let sut: TestSubgraph;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut } = harness);
  });
  afterAll(() => harness?.close());

  const call = async <K extends string>(projectId: string, mutation: K, args: string, variables: Record<string, unknown>) => {
    const result = await sut.query<Record<K, CampaignView>>(`mutation(${args}) { ${mutation}(${args.replace(/\$(\w+): [^,]+/g, '$1: $$$1')}) { ${FIELDS} } }`, variables, secretKeyCaller(projectId));
    return { campaign: result.data?.[mutation], error: result.errors?.[0] };
  };

  it('updates a DRAFT campaign field by field, naming the field of a broken rule, and refuses a RUNNING one', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const templateId = randomUUID();
    const { campaign: created } = await call(projectId, 'createCampaign', '$input: CreateCampaignInput!', {
      input: { name: 'Spring', channel: 'EMAIL', audience: { includeSegmentIds: [segmentId] }, email: { templateId, templateVersion: 1 }, controlPercent: 10 },
    });
    const id = created!.id;
    const { campaign: updated, error } = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', {
      id,
      input: { name: 'Spring sale', schedule: { startAt: '2030-03-01T09:00:00Z', timeZone: 'Europe/Berlin', rrule: 'FREQ=WEEKLY;BYDAY=SA' }, goal: { event: 'Order Completed', withinDays: 7 } },
    });
    expect(error).toBeUndefined();
    expect(updated).toMatchObject({
      name: 'Spring sale',
      status: 'DRAFT',
      controlPercent: 10,
      targeting: { everyone: false, includeSegmentIds: [segmentId] },
      schedule: { rrule: 'FREQ=WEEKLY;BYDAY=SA', timeZone: 'Europe/Berlin' },
      email: { templateId, templateVersion: 1 },
      goal: { event: 'Order Completed', withinDays: 7 },
    });

    const rrule = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', { id, input: { schedule: { startAt: '2030-01-01T00:00:00Z', timeZone: 'UTC', rrule: 'FREQ=MINUTELY' } } });
    expect(rrule.error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.schedule.rrule' });
    const control = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', { id, input: { controlPercent: 1 } });
    expect(control.error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.controlPercent' });
    const triggered = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', { id, input: { trigger: { event: { name: 'Signed Up' } } } });
    expect(triggered.error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.schedule' });
    const cleared = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', { id, input: { schedule: null, trigger: { event: { name: 'Signed Up' }, delayMinutes: 10 } } });
    expect(cleared.error).toBeUndefined();
    expect(cleared.campaign).toMatchObject({ schedule: null, trigger: { event: { name: 'Signed Up' }, delayMinutes: 10 }, name: 'Spring sale' });

    const { campaign: scheduled } = await call(projectId, 'scheduleCampaign', '$id: ID!', { id });
    expect(scheduled!.status).toBe('SCHEDULED');
    expect((await call(projectId, 'resumeCampaign', '$id: ID!', { id })).campaign!.status).toBe('RUNNING');
    const { campaign: paused } = await call(projectId, 'pauseCampaign', '$id: ID!', { id });
    expect(paused!.status).toBe('PAUSED');
    const { campaign: resumed } = await call(projectId, 'resumeCampaign', '$id: ID!', { id });
    expect(resumed!.status).toBe('RUNNING');
    const refused = await call(projectId, 'updateCampaign', '$id: ID!, $input: UpdateCampaignInput!', { id, input: { name: 'x' } });
    expect(refused.error?.extensions).toMatchObject({ code: 'CONFLICT', field: 'status' });
    const { campaign: stopped } = await call(projectId, 'stopCampaign', '$id: ID!', { id });
    expect(stopped!.status).toBe('COMPLETED');
    const again = await call(projectId, 'resumeCampaign', '$id: ID!', { id });
    expect(again.error?.extensions).toMatchObject({ code: 'CONFLICT' });
  });

  it('duplicates a campaign of any status into a new DRAFT with the same definition, only in its project', async () => {
    const projectId = randomUUID();
    const { campaign: source } = await call(projectId, 'createCampaign', '$input: CreateCampaignInput!', {
      input: { name: 'Welcome', channel: 'EMAIL', audience: { everyone: true }, email: { templateId: randomUUID(), templateVersion: 4 }, throttlePerMinute: 100, trigger: { event: { name: 'Signed Up' } } },
    });
    await call(projectId, 'scheduleCampaign', '$id: ID!', { id: source!.id });
    const { campaign: copy, error } = await call(projectId, 'duplicateCampaign', '$id: ID!', { id: source!.id });
    expect(error).toBeUndefined();
    expect(copy).toEqual({ ...source, id: copy!.id, name: 'Welcome (copy)', status: 'DRAFT' });
    expect(copy!.id).not.toBe(source!.id);
    const named = await call(projectId, 'duplicateCampaign', '$id: ID!, $name: String', { id: source!.id, name: 'Welcome B' });
    expect(named.campaign!.name).toBe('Welcome B');
    const elsewhere = await call(randomUUID(), 'duplicateCampaign', '$id: ID!', { id: source!.id });
    expect(elsewhere.error?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});
