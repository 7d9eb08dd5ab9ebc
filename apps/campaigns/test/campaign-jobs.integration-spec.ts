import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventually, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { CampaignJobs } from '../src/jobs/campaign-jobs.js';

describe('campaign jobs (pg-boss in the service schema)', () => {
  let sut: TestSubgraph;
  const handled: string[] = [];
  const queue = { name: `test-${randomUUID()}`, retryLimit: 0, handle: async (data: { tag: string }) => void handled.push(data.tag) };
  // Its worker's poll is ten minutes away: only the wake-ups can run its jobs within the test.
  const ran = new Map<string, number>();
  const sleepy = { name: `test-sleepy-${randomUUID()}`, retryLimit: 0, pollingIntervalSeconds: 600, handle: async (data: { tag: string }) => void ran.set(data.tag, Date.now()) };

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns' });
    await sut.app.get(CampaignJobs).startQueue(queue);
    await sut.app.get(CampaignJobs).startQueue(sleepy);
  });
  afterAll(() => sut?.close());

  it('keeps its tables in the test schema', async () => {
    const rows = await sut.app.get(DataSource).query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('job', 'queue', 'version')`, [sut.schema]);
    expect(rows.map((row: { table_name: string }) => row.table_name).sort()).toEqual(['job', 'queue', 'version']);
  });

  it('runs a job once its time has come, and a job scheduled in a rolled-back transaction never', async () => {
    const jobs = sut.app.get(CampaignJobs);
    const dataSource = sut.app.get(DataSource);
    await dataSource
      .transaction(async (manager) => {
        await jobs.schedule(queue.name, { tag: 'rolled-back' }, { manager });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await dataSource.transaction((manager) => jobs.schedule(queue.name, { tag: 'committed' }, { manager, startAfter: new Date(Date.now() + 1000) }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await eventually(() => handled.length > 0);
    expect(handled).toEqual(['committed']);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM job WHERE name = $1`, [queue.name]);
    expect(count).toBe(1);
  });

  it('wakes the workers when a job comes due, and a worker that ran a job asks again at once (not a poll later)', async () => {
    const jobs = sut.app.get(CampaignJobs);
    const dueAt = new Date(Date.now() + 1500);
    const tags = Array.from({ length: 5 }, (_, i) => `due-${i}`);
    await sut.app.get(DataSource).transaction(async (manager) => {
      for (const tag of tags) await jobs.schedule(sleepy.name, { tag }, { manager, startAfter: dueAt });
    });
    await eventually(() => ran.size === tags.length, { timeoutMs: 10_000 });
    const times = [...ran.values()];
    expect(Math.min(...times)).toBeGreaterThanOrEqual(dueAt.getTime());
    // One wake-up at the due time, then one job after the other (batch size 1) without a poll between.
    expect(Math.max(...times) - dueAt.getTime()).toBeLessThan(3000);
  });

  it('does not queue a second job with the same id', async () => {
    const jobs = sut.app.get(CampaignJobs);
    const id = randomUUID();
    const later = new Date(Date.now() + 60_000);
    expect(await jobs.schedule(queue.name, { tag: 'first' }, { id, startAfter: later })).toBe(id);
    expect(await jobs.schedule(queue.name, { tag: 'second' }, { id, startAfter: later })).toBeNull();
  });
});
