import { applyOwnedStream } from '@boomerang/platform/messaging';
import { createTestMessaging, startTestSubgraph, uniqueSubjectPrefix, type TestMessaging, type TestSubgraph } from '@boomerang/platform/testing';
import { serveSegmentMembers, type SegmentsStandIn } from './segments-stand-in.js';

export interface CampaignsHarness {
  readonly sut: TestSubgraph;
  readonly messaging: TestMessaging;
  /** Stands in for segments answering ListSegmentMembers (a segment it does not hold is unknown). */
  readonly segments: SegmentsStandIn;
  close(): Promise<void>;
}

/** Campaigns on real PostgreSQL and NATS (own schema and prefix), with the streams it reads declared as their owners would. */
export async function startCampaigns(): Promise<CampaignsHarness> {
  const prefix = uniqueSubjectPrefix();
  const messaging = await createTestMessaging(prefix);
  for (const domain of ['segments', 'email', 'events', 'profiles'] as const) await applyOwnedStream(messaging.jsm, messaging.subjects, domain);
  const segments = serveSegmentMembers(messaging);
  const sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns', prefix });
  return {
    sut,
    messaging,
    segments,
    close: async () => {
      await sut.close();
      await messaging.cleanup();
    },
  };
}
