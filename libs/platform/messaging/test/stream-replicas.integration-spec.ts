import { SubjectNamer } from '@boomerang/contracts';
import {
  applyOwnedStream,
  connectMessaging,
  deleteStreamsWithPrefix,
  ensureDeadLetterStream,
  StreamReplicasError,
  StreamReplicasErrorCode,
  type Messaging,
} from '@boomerang/platform/messaging';
import { createTestMessaging, eventually, startNatsCluster, TEST_NATS_URL, uniqueSubjectPrefix, type NatsClusterProcess, type TestMessaging } from '@boomerang/platform/testing';

/** The stream's copies: its leader and the replicas following it, by server name. */
const placement = async (messaging: Messaging, stream: string) => {
  const info = await messaging.jsm.streams.info(stream);
  return { replicas: info.config.num_replicas, servers: [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((replica) => replica.name)].sort() };
};

describe('stream replicas (NATS_STREAM_REPLICAS) on a three-node cluster', () => {
  let cluster: NatsClusterProcess;
  let sut: Messaging;

  beforeAll(async () => {
    cluster = await startNatsCluster();
    sut = await connectMessaging({ url: cluster.url, name: 'stream-replicas-spec', prefix: uniqueSubjectPrefix(), streamReplicas: 3 });
  }, 60_000);

  afterAll(async () => {
    await sut?.nc.close();
    await cluster?.cleanup();
  });

  it('declares a domain stream and the dead-letter stream with a copy on every node', async () => {
    await applyOwnedStream(sut.jsm, sut.subjects, 'events', 3);
    await ensureDeadLetterStream(sut.jsm, sut.subjects, 3);

    expect(await placement(sut, sut.subjects.streamName('events'))).toEqual({ replicas: 3, servers: ['n1', 'n2', 'n3'] });
    expect(await placement(sut, sut.subjects.deadLetterStream)).toEqual({ replicas: 3, servers: ['n1', 'n2', 'n3'] });
  });

  it('raises streams declared with one copy, and never lowers the dead letters another service raised', async () => {
    const messaging = { ...sut, subjects: new SubjectNamer(uniqueSubjectPrefix()) };
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'profiles', 1);
    await ensureDeadLetterStream(messaging.jsm, messaging.subjects, 1);
    expect((await placement(messaging, messaging.subjects.streamName('profiles'))).replicas).toBe(1);

    await applyOwnedStream(messaging.jsm, messaging.subjects, 'profiles', 3);
    await ensureDeadLetterStream(messaging.jsm, messaging.subjects, 3);
    await ensureDeadLetterStream(messaging.jsm, messaging.subjects, 1);

    // The new copies are placed, and a leader elected among them, moments after the update.
    await eventually(async () => {
      expect(await placement(messaging, messaging.subjects.streamName('profiles'))).toEqual({ replicas: 3, servers: ['n1', 'n2', 'n3'] });
      return true;
    });
    expect((await placement(messaging, messaging.subjects.deadLetterStream)).replicas).toBe(3);
    await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects);
  });

  it('refuses more replicas than the cluster has nodes, naming the setting', async () => {
    const refused = applyOwnedStream(sut.jsm, sut.subjects, 'voice', 5);

    await expect(refused).rejects.toBeInstanceOf(StreamReplicasError);
    await expect(refused).rejects.toMatchObject({ code: StreamReplicasErrorCode.TooFewServers, stream: sut.subjects.streamName('voice') });
    await expect(refused).rejects.toThrow(/^NATS_STREAM_REPLICAS=5 cannot be applied to stream \S+VOICE: the NATS cluster has fewer than 5 JetStream servers online/);
    await expect(ensureDeadLetterStream(sut.jsm, sut.subjects, 5)).rejects.toMatchObject({ code: StreamReplicasErrorCode.TooFewServers });
  });
});

describe('stream replicas on a single NATS server', () => {
  let single: TestMessaging;

  beforeAll(async () => {
    single = await createTestMessaging();
  });
  afterAll(() => single?.cleanup());

  it('refuses to connect a service configured for replicas the server cannot keep', async () => {
    const refused = connectMessaging({ url: TEST_NATS_URL, name: 'stream-replicas-spec', streamReplicas: 3 });

    await expect(refused).rejects.toMatchObject({ code: StreamReplicasErrorCode.NotClustered, replicas: 3 });
    await expect(refused).rejects.toThrow(/^NATS_STREAM_REPLICAS=3: the NATS server is not part of a cluster; set NATS_STREAM_REPLICAS=1/);
  });

  it('refuses to declare or raise a stream to three copies, where the server would silently keep one', async () => {
    await expect(applyOwnedStream(single.jsm, single.subjects, 'events', 3)).rejects.toMatchObject({ code: StreamReplicasErrorCode.NotClustered });

    await applyOwnedStream(single.jsm, single.subjects, 'events', 1);
    await expect(applyOwnedStream(single.jsm, single.subjects, 'events', 3)).rejects.toMatchObject({ code: StreamReplicasErrorCode.NotClustered });
    await ensureDeadLetterStream(single.jsm, single.subjects, 1);
    await expect(ensureDeadLetterStream(single.jsm, single.subjects, 3)).rejects.toMatchObject({ code: StreamReplicasErrorCode.NotClustered });
  });
});
