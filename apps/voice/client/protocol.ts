// The signalling protocol as its clients speak it (the web page and the Node call client):
// graphql-ws (subprotocol graphql-transport-ws) at ws://<voice>/calls/signal, connectionParams { token }.
// The server's schema is apps/voice/src/signalling/signalling.schema.ts; the server imports the path and close code from here.

export const SIGNALLING_PATH = '/calls/signal';
/** The socket was refused or closed because the call token is missing, invalid or expired. */
export const CLOSE_UNAUTHORIZED = 4401;

export type CallStateName = 'PLACED' | 'RINGING' | 'ANSWERED' | 'ENDED' | 'CANCELLED' | 'DECLINED' | 'MISSED' | 'BUSY' | 'UNREACHABLE' | 'FAILED';
export const TERMINAL_STATES: readonly CallStateName[] = ['ENDED', 'CANCELLED', 'DECLINED', 'MISSED', 'BUSY', 'UNREACHABLE', 'FAILED'];
export type TransportDirection = 'SEND' | 'RECV' | 'SENDRECV';

export interface MaskedIdentity {
  displayName: string;
  role: string | null;
  avatarUrl: string | null;
  proxyNumber: string | null;
}
export interface CallBranding {
  brandName: string | null;
  logoUrl: string | null;
  backgroundColor: string | null;
  fontColor: string | null;
  buttonColor: string | null;
}
export interface CallView {
  id: string;
  state: CallStateName;
  role: 'CALLER' | 'CALLEE';
  context: { reason: string; reference: string | null; metadata: Record<string, unknown> | null };
  branding: CallBranding | null;
  self: MaskedIdentity;
  remote: MaskedIdentity;
  timeline: { state: CallStateName; at: string }[];
  placedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  endReason: string | null;
  ringExpiresAt: string | null;
}
export type CallUpdate =
  | { __typename: 'CallStateUpdate'; call: CallView }
  | { __typename: 'RemoteMediaUpdate'; callId: string; producerId: string }
  | { __typename: 'RemoteMutedUpdate'; callId: string; muted: boolean };

export interface TransportOptions {
  id: string;
  iceParameters: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- mediasoup's own shapes, passed through
  iceCandidates: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  dtlsParameters: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}
export interface MediaSession {
  routerRtpCapabilities: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  transport: TransportOptions;
}
export interface MediaConsumer {
  id: string;
  producerId: string;
  kind: 'audio';
  rtpParameters: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface PlaceCallInput {
  calleeProfileId: string;
  reason: string;
  reference?: string;
  metadata?: Record<string, unknown>;
  branding?: Partial<CallBranding>;
  callerIdentity?: { displayName?: string; role?: string; avatarUrl?: string };
  calleeIdentity?: { displayName?: string; role?: string; avatarUrl?: string };
  ringTimeoutSeconds?: number;
}

const IDENTITY = 'displayName role avatarUrl proxyNumber';
export const CALL_VIEW_FIELDS = `id state role context { reason reference metadata }
  branding { brandName logoUrl backgroundColor fontColor buttonColor }
  self { ${IDENTITY} } remote { ${IDENTITY} } timeline { state at }
  placedAt answeredAt endedAt durationSeconds endReason ringExpiresAt`;

export const OPERATIONS = {
  call: `query Call($id: ID!) { call(id: $id) { ${CALL_VIEW_FIELDS} } }`,
  activeCall: `query ActiveCall { activeCall { ${CALL_VIEW_FIELDS} } }`,
  placeCall: `mutation PlaceCall($input: PlaceCallInput!) { placeCall(input: $input) { ${CALL_VIEW_FIELDS} } }`,
  answerCall: `mutation AnswerCall($callId: ID!) { answerCall(callId: $callId) { ${CALL_VIEW_FIELDS} } }`,
  declineCall: `mutation DeclineCall($callId: ID!) { declineCall(callId: $callId) { ${CALL_VIEW_FIELDS} } }`,
  hangUp: `mutation HangUp($callId: ID!) { hangUp(callId: $callId) { ${CALL_VIEW_FIELDS} } }`,
  reportClient: `mutation ReportClient($callId: ID!, $kind: String!, $detail: String) { reportClient(callId: $callId, kind: $kind, detail: $detail) }`,
  joinMedia: `mutation JoinMedia($callId: ID!, $direction: TransportDirection) {
    joinMedia(callId: $callId, direction: $direction) { routerRtpCapabilities transport { id iceParameters iceCandidates dtlsParameters } } }`,
  connectTransport: `mutation ConnectTransport($callId: ID!, $dtlsParameters: JSON!, $direction: TransportDirection) {
    connectTransport(callId: $callId, dtlsParameters: $dtlsParameters, direction: $direction) }`,
  produce: `mutation Produce($callId: ID!, $kind: String!, $rtpParameters: JSON!) { produce(callId: $callId, kind: $kind, rtpParameters: $rtpParameters) }`,
  consume: `mutation Consume($callId: ID!, $rtpCapabilities: JSON!) { consume(callId: $callId, rtpCapabilities: $rtpCapabilities) { id producerId kind rtpParameters } }`,
  resumeConsumer: `mutation ResumeConsumer($callId: ID!, $consumerId: ID!) { resumeConsumer(callId: $callId, consumerId: $consumerId) }`,
  setMuted: `mutation SetMuted($callId: ID!, $muted: Boolean!) { setMuted(callId: $callId, muted: $muted) }`,
  callUpdates: `subscription CallUpdates { callUpdates {
    __typename
    ... on CallStateUpdate { call { ${CALL_VIEW_FIELDS} } }
    ... on RemoteMediaUpdate { callId producerId }
    ... on RemoteMutedUpdate { callId muted } } }`,
} as const;

export interface SignallingErrorShape {
  message: string;
  extensions?: { code?: string; reason?: string; field?: string };
}

/** A signalling operation answered with errors. */
export class SignallingRequestError extends Error {
  constructor(readonly errors: readonly SignallingErrorShape[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'SignallingRequestError';
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** The minimal graphql-ws client surface both clients use (browser and Node builds of graphql-ws). */
export interface SubscribableClient {
  subscribe(
    payload: { query: string; variables?: Record<string, unknown> },
    sink: { next(value: { data?: unknown; errors?: readonly SignallingErrorShape[] }): void; error(error: unknown): void; complete(): void },
  ): () => void;
}

/** Runs one query or mutation over the socket and resolves with its data. */
export function request<T>(client: SubscribableClient, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: { data?: unknown; errors?: readonly SignallingErrorShape[] } | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = value),
        error: (error) => reject(error instanceof Error ? error : new Error(describeCloseEvent(error))),
        complete: () => (result?.errors?.length ? reject(new SignallingRequestError(result.errors)) : resolve(result?.data as T)),
      },
    );
  });
}

/** graphql-ws reports a closed socket as its CloseEvent; say what it means. */
export function describeCloseEvent(error: unknown): string {
  const event = error as { code?: number; reason?: string };
  if (event?.code === CLOSE_UNAUTHORIZED) return `the call token was refused: ${event.reason || 'unauthorized'}`;
  if (typeof event?.code === 'number') return `the signalling socket closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`;
  return String(error);
}
