import { buildSchema, GraphQLScalarType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/**
 * The signalling channel's own schema (graphql-ws over `/calls/signal`), separate from the
 * federated one: the gateway has no subscriptions. Every field acts as the token's profile.
 * No type here carries a profile id, phone number or email of either participant.
 */
export const SIGNALLING_SDL = /* GraphQL */ `
  "Any JSON value (mediasoup parameters, call metadata)."
  scalar JSON
  "An ISO-8601 timestamp."
  scalar DateTime

  enum CallState { PLACED RINGING ANSWERED ENDED CANCELLED DECLINED MISSED BUSY UNREACHABLE FAILED }
  enum CallRole { CALLER CALLEE }

  "How a participant is shown to the other one for this call only."
  type MaskedIdentity {
    displayName: String!
    role: String
    avatarUrl: String
    "A proxy number issued for this call; never a real number."
    proxyNumber: String
  }
  type CallContext { reason: String! reference: String metadata: JSON }
  type CallBranding { brandName: String logoUrl: String backgroundColor: String fontColor: String buttonColor: String }
  type CallTimelineEntry { state: CallState! at: DateTime! }

  "A call as one of its participants sees it."
  type CallView {
    id: ID!
    state: CallState!
    role: CallRole!
    context: CallContext!
    branding: CallBranding
    self: MaskedIdentity!
    remote: MaskedIdentity!
    timeline: [CallTimelineEntry!]!
    placedAt: DateTime!
    answeredAt: DateTime
    endedAt: DateTime
    durationSeconds: Float
    endReason: String
    ringExpiresAt: DateTime
  }

  type TransportOptions { id: ID! iceParameters: JSON! iceCandidates: JSON! dtlsParameters: JSON! }
  type MediaSession { routerRtpCapabilities: JSON! transport: TransportOptions! }
  type MediaConsumer { id: ID! producerId: ID! kind: String! rtpParameters: JSON! }

  "The call changed state (including an incoming call: RINGING, seen by the callee)."
  type CallStateUpdate { call: CallView! }
  "The other participant started sending audio: consume it."
  type RemoteMediaUpdate { callId: ID! producerId: ID! }
  "The other participant muted or unmuted."
  type RemoteMutedUpdate { callId: ID! muted: Boolean! }
  union CallUpdate = CallStateUpdate | RemoteMediaUpdate | RemoteMutedUpdate

  input BrandingInput { brandName: String logoUrl: String backgroundColor: String fontColor: String buttonColor: String }
  input IdentityInput { displayName: String role: String avatarUrl: String }
  input PlaceCallInput {
    calleeProfileId: ID!
    reason: String!
    reference: String
    metadata: JSON
    branding: BrandingInput
    callerIdentity: IdentityInput
    calleeIdentity: IdentityInput
    ringTimeoutSeconds: Int
  }

  "Which way a transport carries audio; browsers (mediasoup-client) need one of each."
  enum TransportDirection { SEND RECV SENDRECV }

  type Query {
    call(id: ID!): CallView!
    "The call this profile is in that has not ended yet, if any (to resume after a reconnect)."
    activeCall: CallView
  }

  type Mutation {
    placeCall(input: PlaceCallInput!): CallView!
    answerCall(callId: ID!): CallView!
    declineCall(callId: ID!): CallView!
    hangUp(callId: ID!): CallView!
    "Records a client-side problem, e.g. kind MICROPHONE_PERMISSION_DENIED."
    reportClient(callId: ID!, kind: String!, detail: String): Boolean!
    joinMedia(callId: ID!, direction: TransportDirection = SENDRECV): MediaSession!
    connectTransport(callId: ID!, dtlsParameters: JSON!, direction: TransportDirection = SENDRECV): Boolean!
    produce(callId: ID!, kind: String!, rtpParameters: JSON!): ID!
    "The other participant's audio, created paused (null until they produce)."
    consume(callId: ID!, rtpCapabilities: JSON!): MediaConsumer
    resumeConsumer(callId: ID!, consumerId: ID!): Boolean!
    setMuted(callId: ID!, muted: Boolean!): Boolean!
  }

  type Subscription {
    callUpdates: CallUpdate!
  }
`;

type Resolver<TContext> = GraphQLFieldResolver<unknown, TContext, Record<string, unknown>>;

export interface SignallingResolvers<TContext> {
  Query: Record<string, Resolver<TContext>>;
  Mutation: Record<string, Resolver<TContext>>;
  /** Subscription fields: `subscribe` returns the event stream, each event is the field's value. */
  Subscription: Record<string, (args: Record<string, unknown>, context: TContext) => AsyncIterable<unknown>>;
}

const passThroughJson = new GraphQLScalarType({ name: 'JSON' });

/** Builds the executable schema: SDL above, resolvers attached to its root fields. */
export function buildSignallingSchema<TContext>(resolvers: SignallingResolvers<TContext>): GraphQLSchema {
  const schema = buildSchema(SIGNALLING_SDL);
  const json = schema.getType('JSON') as GraphQLScalarType;
  json.serialize = passThroughJson.serialize;
  json.parseValue = passThroughJson.parseValue;
  json.parseLiteral = passThroughJson.parseLiteral;
  const dateTime = schema.getType('DateTime') as GraphQLScalarType;
  dateTime.serialize = (value) => (value instanceof Date ? value.toISOString() : String(value));

  for (const rootName of ['Query', 'Mutation'] as const) {
    const fields = schema.getType(rootName)!.toConfig() as { fields: Record<string, unknown> };
    const type = schema.getType(rootName) as unknown as { getFields(): Record<string, { resolve?: Resolver<TContext> }> };
    for (const name of Object.keys(fields.fields)) {
      const resolve = resolvers[rootName][name];
      if (!resolve) throw new Error(`signalling schema: no resolver for ${rootName}.${name}`);
      type.getFields()[name].resolve = resolve;
    }
  }
  const subscription = schema.getSubscriptionType()!.getFields();
  for (const [name, field] of Object.entries(subscription)) {
    const subscribe = resolvers.Subscription[name];
    if (!subscribe) throw new Error(`signalling schema: no resolver for Subscription.${name}`);
    field.subscribe = (_root, args, context: TContext) => subscribe(args, context);
    field.resolve = (event) => event;
  }
  const union = schema.getType('CallUpdate') as unknown as { resolveType: (value: { kind: string }) => string };
  union.resolveType = (value) => UPDATE_TYPES[value.kind];
  return schema;
}

/** The GraphQL type of each in-process CallUpdate kind. */
const UPDATE_TYPES: Record<string, string> = {
  CALL_STATE: 'CallStateUpdate',
  REMOTE_MEDIA: 'RemoteMediaUpdate',
  REMOTE_MUTED: 'RemoteMutedUpdate',
};
