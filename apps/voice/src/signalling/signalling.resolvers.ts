import type { TransportDirection } from '../media/call-media.service.js';
import type { CallSignalling } from './call-signalling.service.js';
import { presentCall } from './call-presenter.js';
import type { SignallingContext } from './signalling-session.js';
import type { SignallingResolvers } from './signalling.schema.js';
import type { SignallingUpdates } from './signalling-updates.js';

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- validated by the schema

/** Thin: arguments in, CallSignalling with the socket's session, schema-shaped values out. */
export function signallingResolvers(signalling: CallSignalling, updates: SignallingUpdates): SignallingResolvers<SignallingContext> {
  const view = <T extends Parameters<typeof presentCall>[0] | null>(promise: Promise<T>) => promise.then((v) => (v ? presentCall(v) : null));
  return {
    Query: {
      call: (_root, { id }: Args, { session }) => view(signalling.call(session, id)),
      activeCall: (_root, _args, { session }) => view(signalling.activeCall(session)),
    },
    Mutation: {
      placeCall: (_root, { input }: Args, { session }) => view(signalling.placeCall(session, input)),
      answerCall: (_root, { callId }: Args, { session }) => view(signalling.answerCall(session, callId)),
      declineCall: (_root, { callId }: Args, { session }) => view(signalling.declineCall(session, callId)),
      hangUp: (_root, { callId }: Args, { session }) => view(signalling.hangUp(session, callId)),
      reportClient: (_root, { callId, kind, detail }: Args, { session }) => signalling.reportClient(session, callId, kind, detail),
      joinMedia: (_root, { callId, direction }: Args, { session }) => signalling.joinMedia(session, callId, direction as TransportDirection),
      connectTransport: (_root, { callId, dtlsParameters, direction }: Args, { session }) =>
        signalling.connectTransport(session, callId, dtlsParameters, direction as TransportDirection),
      produce: (_root, { callId, kind, rtpParameters }: Args, { session }) => signalling.produce(session, callId, kind, rtpParameters),
      consume: (_root, { callId, rtpCapabilities }: Args, { session }) => signalling.consume(session, callId, rtpCapabilities),
      resumeConsumer: (_root, { callId, consumerId }: Args, { session }) => signalling.resumeConsumer(session, callId, consumerId),
      setMuted: (_root, { callId, muted }: Args, { session }) => signalling.setMuted(session, callId, muted),
    },
    Subscription: {
      callUpdates: (_args, { session }) => updates.stream(session),
    },
  };
}
