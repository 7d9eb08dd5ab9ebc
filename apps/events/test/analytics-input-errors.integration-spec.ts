import { randomUUID } from 'node:crypto';
import { secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { startEventsSubgraph } from './support.js';

const FUNNEL = `query($input: FunnelInput!) { funnel(input: $input) { steps { profiles } } }`;
const TRENDS = `query($input: TrendsInput!) { trends(input: $input) { total } }`;
const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { cohorts { size } } }`;
const SAVE = `mutation($input: SaveAnalyticsCohortInput!) { saveAnalyticsCohort(input: $input) { profiles } }`;

/**
 * Bad input deep inside an analytics question is named by its whole path (`input.steps[2].where[0].value`,
 * `input.funnel.question.from`), never by a field of the outer input or the top-level one.
 */
describe('analytics input errors name the full path', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  const funnel = {
    steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy' }],
    conversionWindow: 1,
    from: '2026-02-02',
    to: '2026-02-09',
  };
  const lifecycle = { interval: 'WEEK', from: '2026-02-02', to: '2026-02-16' };
  const drivers = { from: '2026-02-02', to: '2026-02-09', withinDays: 3, retainedOnDay: 7 };
  const badValue = { property: 'price', op: 'GT', type: 'NUMBER', value: 'ten' };
  const badBetween = { property: 'price', op: 'BETWEEN', values: [1] };

  beforeAll(async () => {
    sut = await startEventsSubgraph();
  }, 120_000);
  afterAll(async () => {
    await sut?.close();
  });

  const cases: [string, string, Record<string, unknown>, string][] = [
    ['a condition of step 3', FUNNEL, { ...funnel, steps: [{ event: 'View' }, { event: 'Cart' }, { event: 'Buy', where: [badValue] }] }, 'input.steps[2].where[0].value'],
    ['an empty event of step 3', FUNNEL, { ...funnel, steps: [{ event: 'View' }, { event: 'Cart' }, { event: '' }] }, 'input.steps[2].event'],
    ['a too long event of step 2', FUNNEL, { ...funnel, steps: [{ event: 'View' }, { event: 'x'.repeat(201) }] }, 'input.steps[1].event'],
    ['a trend condition', TRENDS, { measure: 'COUNT', interval: 'DAY', from: '2026-02-02', to: '2026-02-05', where: [{ property: 'plan', op: 'EQ' }] }, 'input.where[0].value'],
    ['a filter condition', RETENTION, { interval: 'DAY', intervals: 2, from: '2026-02-02', to: '2026-02-05', filter: { event: [{ property: 'a', op: 'EQ', value: 1 }, badBetween] } }, 'input.filter.event[1].values'],
    ['a breakdown property', RETENTION, { interval: 'DAY', intervals: 2, from: '2026-02-02', to: '2026-02-05', breakdown: { profileProperty: 'a..b' } }, 'input.breakdown.profileProperty'],
    ["a cohort funnel's date", SAVE, { name: 'x', funnel: { question: { ...funnel, from: '2026-02-30' }, step: 1 } }, 'input.funnel.question.from'],
    ["a cohort funnel's window", SAVE, { name: 'x', funnel: { question: { ...funnel, conversionWindow: 400 }, step: 1 } }, 'input.funnel.question.conversionWindow'],
    [
      "a cohort funnel's step condition",
      SAVE,
      { name: 'x', funnel: { question: { ...funnel, steps: [{ event: 'View' }, { event: 'Cart', where: [badBetween] }] }, step: 1 } },
      'input.funnel.question.steps[1].where[0].values',
    ],
    ["a cohort funnel's empty step event", SAVE, { name: 'x', funnel: { question: { ...funnel, steps: [{ event: 'View' }, { event: '' }] }, step: 1 } }, 'input.funnel.question.steps[1].event'],
    ["the cohort's own step", SAVE, { name: 'x', funnel: { question: funnel, step: 3 } }, 'input.funnel.step'],
    ["a cohort lifecycle's range", SAVE, { name: 'x', lifecycle: { question: { ...lifecycle, interval: 'DAY', to: '2028-03-01' }, state: 'NEW', intervalStart: '2026-02-02' } }, 'input.lifecycle.question.to'],
    [
      "a cohort lifecycle's profile filter",
      SAVE,
      { name: 'x', lifecycle: { question: { ...lifecycle, filter: { profile: [badBetween] } }, state: 'NEW', intervalStart: '2026-02-02' } },
      'input.lifecycle.question.filter.profile[0].values',
    ],
    ["the cohort's own interval start", SAVE, { name: 'x', lifecycle: { question: lifecycle, state: 'NEW', intervalStart: '2026-02-03' } }, 'input.lifecycle.intervalStart'],
    ["a cohort drivers' first days", SAVE, { name: 'x', drivers: { question: { ...drivers, withinDays: 0 }, event: 'Buy' } }, 'input.drivers.question.withinDays'],
    ["a cohort drivers' date", SAVE, { name: 'x', drivers: { question: { ...drivers, to: '2026-13-01' }, event: 'Buy' } }, 'input.drivers.question.to'],
    ["the cohort's own times", SAVE, { name: 'x', drivers: { question: drivers, event: 'Buy', atLeast: 5000 } }, 'input.drivers.atLeast'],
  ];

  it.each(cases)('%s', async (_, query, input, field) => {
    const answer = await sut.query(query, { input }, secretKeyCaller(projectId));
    const error = answer.errors?.[0];
    expect([error?.extensions?.code, error?.extensions?.field]).toEqual(['BAD_USER_INPUT', field]);
    // The message names the same path, and the rule.
    expect(error?.message).toMatch(new RegExp(`^(Invalid value for )?${field.replace(/[.[\]]/g, '\\$&')}: .+`));
  });
});
