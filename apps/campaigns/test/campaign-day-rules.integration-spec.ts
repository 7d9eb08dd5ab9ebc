import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Clock } from '@boomerang/platform/subgraph';
import { eventually, secretKeyCaller, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { ProfileZones } from '../src/audience/profile-zones.js';

describe('weekends and public holidays (two countries)', () => {
  let sut: TestSubgraph;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut } = harness);
  });
  afterAll(() => harness?.close());
  afterEach(() => jest.restoreAllMocks());

  it("on US Thanksgiving, skips the US profiles of a campaign skipping holidays, and sends a German-holidays-only campaign to nobody", async () => {
    const projectId = randomUUID();
    const [american, german, unknown] = [randomUUID(), randomUUID(), randomUUID()];
    await seedKnownProfiles(sut, projectId, [american, german, unknown]);
    const place = (profileId: string, timeZone: string, country: string) => ({
      projectId,
      occurredAt: new Date().toISOString(),
      profileId,
      externalId: null,
      properties: { country },
      attributes: { email: true as const, phone: null, name: null, timeZone, locale: null, createdAt: new Date().toISOString(), emailSubscribed: true, smsSubscribed: null, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: null },
      contact: { email: 'x@example.com', phone: null },
      updatedAt: new Date().toISOString(),
    });
    await sut.app.get(DataSource).transaction((manager) => sut.app.get(ProfileZones).apply(manager, [place(american, 'America/New_York', 'us'), place(german, 'Europe/Berlin', 'DE')]));
    jest.spyOn(sut.app.get(Clock), 'now').mockReturnValue(new Date('2026-11-26T15:00:00Z')); // Thanksgiving, 10:00 in New York

    const run = async (dayRule: Record<string, unknown>) => {
      const created = await sut.query<{ createCampaign: { id: string; dayRule: unknown } }>(
        `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id dayRule { mode weekends holidays country } } }`,
        { input: { name: 'Days', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, audience: { everyone: true }, dayRule } },
        secretKeyCaller(projectId),
      );
      expect(created.errors).toBeUndefined();
      const { id } = created.data!.createCampaign;
      expect((await sut.query(`mutation($id: ID!) { scheduleCampaign(id: $id) { status } }`, { id }, secretKeyCaller(projectId))).errors).toBeUndefined();
      const rows = await eventually(async () => {
        const found = (await sut.app.get(DataSource).query(`SELECT profile_id, outcome, reason FROM campaign_delivery WHERE campaign_id = $1`, [id])) as { profile_id: string; reason: string | null }[];
        return found.length === 3 ? found : null;
      });
      return { dayRule: created.data!.createCampaign.dayRule, reasons: new Map(rows!.map((row) => [row.profile_id, row.reason])) };
    };

    const skipping = await run({ mode: 'SKIP', holidays: true });
    expect(skipping.dayRule).toEqual({ mode: 'SKIP', weekends: false, holidays: true, country: null });
    expect(skipping.reasons).toEqual(new Map([[american, 'DAY_RULE'], [german, null], [unknown, null]]));
    const germanOnly = await run({ mode: 'ONLY', holidays: true, country: 'de' });
    expect(germanOnly.reasons).toEqual(new Map([[american, 'DAY_RULE'], [german, 'DAY_RULE'], [unknown, 'DAY_RULE']]));
    const bad = await sut.query(`mutation { createCampaign(input: { name: "x", channel: EMAIL, dayRule: { mode: SKIP, holidays: true, country: "QQ" } }) { id } }`, {}, secretKeyCaller(projectId));
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.dayRule.country' });
  });
});
