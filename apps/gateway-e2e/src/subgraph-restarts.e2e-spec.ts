import { bearer, startTestPlatform, subgraphNames, type RunningPlatform } from '../../../tools/dev/test-platform.js';
import { onceProfileKnown } from './profile-known.js';

interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; service?: string; reason?: string };
}
interface Answer {
  data?: Record<string, unknown> | null;
  errors?: GraphQLError[];
}

/** One query of the mix: the subgraph its root field is on, and those it reaches through fields of other subgraphs. */
interface MixedQuery {
  readonly name: string;
  readonly query: string;
  readonly root: string;
  readonly reaches: readonly string[];
}

interface Sample {
  readonly query: MixedQuery;
  readonly startedAt: number;
  readonly ms: number;
  readonly status: number;
  readonly answer?: Answer;
  readonly failure?: string;
}

/** voice's fetch timeout (the hung one below); the others keep the default 10 s, so a slow moment of a busy CI machine fails nothing. */
const TIMEOUT_MS = 3000;
const BREAKER_OPEN_MS = 1000;
const RATE_PER_SECOND = 50;
/** Past this many unanswered requests the load skips its turn (counted), instead of piling up on a starved machine. */
const MAX_IN_FLIGHT = 100;

/** Sends the mix round-robin at a steady rate (not waiting for answers; catching up after a late tick) and keeps every answer. */
class SteadyLoad {
  readonly samples: Sample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  skipped = 0;

  constructor(
    private readonly send: (query: MixedQuery) => Promise<{ status: number; answer: Answer }>,
    private readonly mix: readonly MixedQuery[],
  ) {}

  start(): void {
    const began = Date.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - began) * RATE_PER_SECOND) / 1000);
      for (; this.sent < due; this.sent++) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) this.skipped += 1;
        else this.fire(this.mix[this.sent % this.mix.length]!);
      }
    }, 1000 / RATE_PER_SECOND);
  }

  private fire(query: MixedQuery): void {
    const startedAt = Date.now();
    const request = this.send(query).then(
      ({ status, answer }) => void this.samples.push({ query, startedAt, ms: Date.now() - startedAt, status, answer }),
      (error: Error) => void this.samples.push({ query, startedAt, ms: Date.now() - startedAt, status: 0, failure: String(error.cause ?? error) }),
    );
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }
}

/** A restart of one subgraph: when it was told to stop, was gone, was ready again, and from when answers must be whole. */
interface RestartWindow {
  readonly service: string;
  readonly stopAt: number;
  readonly exitedAt: number;
  readonly readyAt: number;
  readonly wholeFrom: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0;
};
const touches = (query: MixedQuery, service: string) => query.root === service || query.reaches.includes(service);

describe('subgraphs restarting and hanging under load', () => {
  let platform: RunningPlatform;
  let asProject: Record<string, string>;
  let mix: MixedQuery[];

  const ask = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...asProject },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, answer: (await response.json()) as Answer };
  };

  beforeAll(async () => {
    platform = await startTestPlatform(
      { SUBGRAPH_VOICE_TIMEOUT_MS: String(TIMEOUT_MS), SUBGRAPH_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS) },
      { restart: true },
    );
    const created = await platform.graphql<{ createProject: { secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Restarts" }) { secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    asProject = bearer(created.data!.createProject.secretKey.key);
    const profile = await platform.graphql<{ createProfile: { id: string } }>(`mutation { createProfile(input: { externalId: "r-1", name: "Ada" }) { id } }`, {}, asProject);
    const profileId = profile.data!.createProfile.id;
    await onceProfileKnown(() => platform.graphql(`mutation($input: TrackEventInput!) { track(input: $input) { id } }`, { input: { profileId, name: 'Signed Up' } }, asProject));
    const segment = await platform.graphql<{ createSegment: { id: string } }>(`mutation { createSegment(input: { name: "Early", kind: STATIC }) { id } }`, {}, asProject);
    const segmentId = segment.data!.createSegment.id;
    const added = await onceProfileKnown(() =>
      platform.graphql(`mutation($segmentId: ID!, $profileIds: [ID!]!) { addSegmentMembers(segmentId: $segmentId, profileIds: $profileIds) { id } }`, { segmentId, profileIds: [profileId] }, asProject),
    );
    expect(added.errors).toBeUndefined();
    await platform.graphql(`mutation($segmentId: ID!) { createCampaign(input: { name: "Hello", channel: EMAIL, audienceSegmentId: $segmentId }) { id } }`, { segmentId }, asProject);

    mix = [
      { name: 'project', query: '{ project { id name } }', root: 'workspace', reaches: [] },
      { name: 'profiles', query: '{ profiles(first: 3) { edges { node { id name } } } }', root: 'profiles', reaches: [] },
      {
        name: 'profiles+segments+events',
        query: '{ profiles(first: 3) { edges { node { id name segments { name } events(first: 1) { edges { node { name } } } } } } }',
        root: 'profiles',
        reaches: ['segments', 'events'],
      },
      { name: 'segments', query: '{ segments { id name size } }', root: 'segments', reaches: [] },
      { name: 'segment members', query: '{ segments { id members(first: 3) { id name createdAt } } }', root: 'segments', reaches: ['profiles'] },
      { name: 'events', query: '{ events(first: 3) { edges { node { id name } } } }', root: 'events', reaches: [] },
      { name: 'campaign audience', query: '{ campaigns { id name audience { id name } } }', root: 'campaigns', reaches: ['segments'] },
      { name: 'journeys', query: '{ journeys { id } }', root: 'journeys', reaches: [] },
      { name: 'email templates', query: '{ emailTemplates { id } }', root: 'email', reaches: [] },
      { name: 'calls', query: '{ calls(first: 3) { id } }', root: 'voice', reaches: [] },
      {
        name: 'GDPR export',
        query: `{ profileExport(id: "${profileId}") { profileId exportedAt events segments calls } }`,
        root: 'profiles',
        reaches: ['events', 'segments', 'voice'],
      },
    ];
    for (const { name, query } of mix) expect({ name, answer: (await ask(query)).answer.errors }).toEqual({ name, answer: undefined });
  }, 240_000);
  afterAll(() => platform?.stop(), 60_000);

  it('restarts each subgraph in turn under ~50 requests/s: the others see no error, the fields of the restarting one are null with SUBGRAPH_UNAVAILABLE, whole again once it is back', async () => {
    const load = new SteadyLoad((query) => ask(query.query), mix);
    const windows: RestartWindow[] = [];
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    load.start();
    await sleep(4000); // the same load with nothing restarting, to compare latencies with
    const restartsBegan = Date.now();
    for (const service of subgraphNames()) {
      const stopAt = Date.now();
      await platform.stopService(service, 'SIGTERM');
      const exitedAt = Date.now();
      await sleep(500); // gone for a moment, as between the old and the new process of a deploy
      await platform.startService(service);
      const readyAt = Date.now();
      // Once ready, the next fetch after the open circuit's period is its trial and closes it.
      await sleep(BREAKER_OPEN_MS + 1500);
      windows.push({ service, stopAt, exitedAt, readyAt, wholeFrom: readyAt + BREAKER_OPEN_MS + 500 });
    }
    await load.stop();

    // The restarts a request was under way during (a slow one may span two), and the subgraphs restarting then.
    const windowsOf = (sample: Sample) => windows.filter((window) => sample.startedAt < window.wholeFrom && sample.startedAt + sample.ms > window.stopAt);
    const problems: string[] = [];
    const kinds = { whole: 0, partial: 0, rootUnavailable: 0, other: 0 };
    const reasons: Record<string, number> = {};
    for (const sample of load.samples) {
      const errors = sample.answer?.errors ?? [];
      for (const error of errors) {
        const kind = `${error.extensions?.code}/${error.extensions?.reason ?? '-'}`;
        reasons[kind] = (reasons[kind] ?? 0) + 1;
      }
      const text = JSON.stringify(sample.answer ?? sample.failure);
      if (/127\.0\.0\.1|localhost|https?:\/\/|ECONNREFUSED/.test(text)) problems.push(`${sample.query.name}: an answer names an address: ${text.slice(0, 300)}`);
      if (!errors.length && sample.status === 200 && sample.answer?.data) {
        kinds.whole += 1;
        continue;
      }
      const restarting = windowsOf(sample).map((window) => window.service);
      const unavailable = errors.map((error) => (error.extensions?.code === 'SUBGRAPH_UNAVAILABLE' ? error.extensions.service : undefined));
      const explained = errors.length > 0 && unavailable.every((service) => service && restarting.includes(service) && touches(sample.query, service));
      const at = `${sample.query.name} at +${sample.startedAt - windows[0]!.stopAt} ms, ${sample.ms} ms long (restarting: ${restarting.join(', ') || 'none'})`;
      if (!explained) {
        kinds.other += 1;
        problems.push(`${at}: ${sample.status} ${text.slice(0, 300)}`);
      } else if (unavailable.includes(sample.query.root)) kinds.rootUnavailable += 1;
      else if (Object.values(sample.answer?.data ?? {}).every((value) => value !== null)) kinds.partial += 1;
      else problems.push(`${at}: lost its root field though only subgraphs it reaches were restarting: ${text.slice(0, 300)}`);
    }
    // Whole again once back: each query reaching a restarted subgraph, sent after it was back and clear of any other restart.
    for (const window of windows) {
      const after = load.samples.filter((sample) => sample.startedAt >= window.wholeFrom && touches(sample.query, window.service) && windowsOf(sample).length === 0);
      if (!after.length) problems.push(`no request reached ${window.service} once it was back`);
      for (const sample of after.filter((entry) => entry.answer?.errors || !entry.answer?.data)) {
        problems.push(`${sample.query.name} not whole ${sample.startedAt - window.readyAt} ms after ${window.service} was ready: ${JSON.stringify(sample.answer ?? sample.failure).slice(0, 300)}`);
      }
    }

    const during = load.samples.filter((sample) => windowsOf(sample).length).map((sample) => sample.ms);
    const before = load.samples.filter((sample) => sample.startedAt + sample.ms < restartsBegan).map((sample) => sample.ms);
    const seconds = (load.samples.at(-1)!.startedAt - load.samples[0]!.startedAt) / 1000;
    console.log(
      [
        `rolling restart of ${windows.length} subgraphs under load: ${load.samples.length} requests in ${seconds.toFixed(1)} s (${(load.samples.length / seconds).toFixed(1)}/s; ${load.skipped} turns skipped with ${MAX_IN_FLIGHT} unanswered)`,
        `  whole ${kinds.whole}, partial (restarting subgraph's fields null) ${kinds.partial}, root on the restarting subgraph ${kinds.rootUnavailable}, other errors ${kinds.other}`,
        `  errors by code/reason: ${JSON.stringify(reasons)}`,
        `  latency before the restarts p50 ${percentile(before, 50)} ms, p99 ${percentile(before, 99)} ms (${before.length} requests); during restarts p50 ${percentile(during, 50)} ms, p99 ${percentile(during, 99)} ms (${during.length} requests)`,
        ...windows.map((window) => `  ${window.service.padEnd(9)} stopped in ${window.exitedAt - window.stopAt} ms, ready again ${window.readyAt - window.exitedAt} ms later`),
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(kinds.partial).toBeGreaterThan(0);
    expect(load.samples.length / seconds).toBeGreaterThan(RATE_PER_SECOND * 0.8);
  }, 240_000);

  it('answers within the timeout with partial data while voice hangs (SIGSTOP), and whole once it resumes', async () => {
    const query = mix.find((entry) => entry.name === 'GDPR export')!.query;
    platform.pauseService('voice');
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const { status, answer } = await ask(query);
        const ms = Date.now() - started;
        expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
        expect(status).toBe(200);
        expect(answer.data).toEqual({
          profileExport: { profileId: expect.any(String), exportedAt: expect.any(String), events: [expect.objectContaining({ name: 'Signed Up' })], segments: [expect.objectContaining({ name: 'Early' })], calls: null },
        });
        expect(answer.errors).toEqual([
          {
            message: expect.stringMatching(new RegExp(`^ProfileExport\\.calls is unavailable: the voice service (did not answer within ${TIMEOUT_MS} ms|failed repeatedly)`)),
            path: ['profileExport', 'calls'],
            extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'voice', reason: expect.stringMatching(/^(TIMEOUT|CIRCUIT_OPEN)$/) },
          },
        ]);
      }
    } finally {
      platform.resumeService('voice');
    }
    await new Promise((resolve) => setTimeout(resolve, BREAKER_OPEN_MS + 500));
    expect((await ask(query)).answer.errors).toBeUndefined();
  }, 60_000);

  it('reports a subgraph that dies, with its exit and last lines, and restarts it without the gateway', async () => {
    platform.crashService('journeys');
    const deadline = Date.now() + 30_000;
    let answer: Answer | undefined;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = (await ask('{ journeys { id } }')).answer;
    } while ((answer.errors || platform.exitReports.length === 0) && Date.now() < deadline);
    expect(platform.exitReports).toEqual([{ name: 'journeys', code: null, signal: 'SIGKILL', lastLines: expect.any(Array), restartInMs: 200 }]);
    expect(platform.exitReports[0]!.lastLines.length).toBeGreaterThan(0);
    expect(answer.errors).toBeUndefined();
  }, 60_000);
});
