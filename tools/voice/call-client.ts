/**
 * A Node call client: the signalling protocol over graphql-ws (like the web client) plus the
 * Node WebRTC peer from apps/voice/test/support for media. Used by the end-to-end tests and the
 * call-setup benchmark; it records every message the server sent, for the privacy scan.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { OPERATIONS, TERMINAL_STATES, describeCloseEvent, request, type CallUpdate, type CallView, type MediaConsumer, type MediaSession, type PlaceCallInput } from '../../apps/voice/client/protocol.js';
import type { MediaNegotiator } from '../../apps/voice/test/support/media-negotiator.js';
import { NodeCallPeer } from '../../apps/voice/test/support/node-call-peer.js';

export interface CallClientOptions {
  /** Reconnect after an unexpected close (default: no; tests want to see closes). */
  retryAttempts?: number;
}

export class CallClient {
  /** Every message the server sent on this socket, as received (connection_ack, next, error, complete…). */
  readonly messages: unknown[];
  readonly updates: CallUpdate[] = [];
  /** Set when the socket closed: its close code and reason. */
  closed?: { code: number; reason: string };
  private readonly waiters = new Set<{ matches: (update: CallUpdate) => boolean; resolve: (update: CallUpdate) => void }>();
  private readonly peers = new Map<string, NodeCallPeer>();
  private stopUpdates?: () => void;

  private constructor(
    private readonly client: Client,
    messages: unknown[],
  ) {
    this.messages = messages;
  }

  /** Connects with a call token; rejects with the close reason when the token is refused. */
  static async connect(url: string, token: string, options: CallClientOptions = {}): Promise<CallClient> {
    const created: { client?: CallClient } = {};
    const messages: unknown[] = [];
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { token },
      lazy: false,
      retryAttempts: options.retryAttempts ?? 0,
      shouldRetry: () => (options.retryAttempts ?? 0) > 0,
      // A refused or expired token is reported through connect() and `closed`, not printed.
      onNonLazyError: () => undefined,
      on: {
        message: (message) => void messages.push(message),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          if (created.client) created.client.closed = { code, reason: String(reason) };
        },
      },
    });
    await new Promise<void>((resolve, reject) => {
      const offConnected = client.on('connected', () => {
        offConnected();
        offClosed();
        resolve();
      });
      const offClosed = client.on('closed', (event) => {
        offConnected();
        offClosed();
        reject(Object.assign(new Error(describeCloseEvent(event)), { code: (event as { code?: number }).code }));
      });
    });
    const self = (created.client = new CallClient(client, messages));
    self.listen();
    // A round trip after subscribing, so the server has registered the subscription before the caller acts.
    await self.activeCall();
    return self;
  }

  placeCall(input: PlaceCallInput): Promise<CallView> {
    return this.send<{ placeCall: CallView }>(OPERATIONS.placeCall, { input }).then((data) => data.placeCall);
  }
  answer(callId: string): Promise<CallView> {
    return this.send<{ answerCall: CallView }>(OPERATIONS.answerCall, { callId }).then((data) => data.answerCall);
  }
  decline(callId: string): Promise<CallView> {
    return this.send<{ declineCall: CallView }>(OPERATIONS.declineCall, { callId }).then((data) => data.declineCall);
  }
  hangUp(callId: string): Promise<CallView> {
    return this.send<{ hangUp: CallView }>(OPERATIONS.hangUp, { callId }).then((data) => data.hangUp);
  }
  report(callId: string, kind: string, detail?: string): Promise<boolean> {
    return this.send<{ reportClient: boolean }>(OPERATIONS.reportClient, { callId, kind, detail }).then((data) => data.reportClient);
  }
  call(id: string): Promise<CallView> {
    return this.send<{ call: CallView }>(OPERATIONS.call, { id }).then((data) => data.call);
  }
  activeCall(): Promise<CallView | null> {
    return this.send<{ activeCall: CallView | null }>(OPERATIONS.activeCall).then((data) => data.activeCall);
  }
  setMuted(callId: string, muted: boolean): Promise<boolean> {
    return this.send<{ setMuted: boolean }>(OPERATIONS.setMuted, { callId, muted }).then((data) => data.setMuted);
  }

  /** Any operation of the protocol, e.g. to try what the server refuses. */
  send<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return request<T>(this.client, query, variables);
  }

  /** The first update (already received or still to come) that matches. */
  waitForUpdate(matches: (update: CallUpdate) => boolean, timeoutMs = 15_000): Promise<CallUpdate> {
    const seen = this.updates.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { matches, resolve: (update: CallUpdate) => (clearTimeout(timer), resolve(update)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching call update within ${timeoutMs} ms (received: ${this.updates.map(describe).join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Waits until the call reaches `state` as this client sees it. */
  async waitForState(callId: string, state: CallView['state'], timeoutMs?: number): Promise<CallView> {
    const update = await this.waitForUpdate((u) => u.__typename === 'CallStateUpdate' && u.call.id === callId && u.call.state === state, timeoutMs);
    return (update as Extract<CallUpdate, { __typename: 'CallStateUpdate' }>).call;
  }

  /** Joins the call's media with a Node WebRTC peer; the other side's audio is consumed as soon as it exists. */
  async joinMedia(callId: string, options: { send?: boolean } = {}): Promise<NodeCallPeer> {
    const peer = await NodeCallPeer.join(this.negotiator(callId), options);
    this.peers.set(callId, peer);
    await peer.consumeRemote();
    return peer;
  }

  peerOf(callId: string): NodeCallPeer | undefined {
    return this.peers.get(callId);
  }

  /** The signalling side of the Node peer: each MediaNegotiator method is one signalling mutation. */
  negotiator(callId: string): MediaNegotiator {
    return {
      joinMedia: (direction) => this.send<{ joinMedia: MediaSession }>(OPERATIONS.joinMedia, { callId, direction }).then((data) => data.joinMedia),
      connectTransport: (direction, dtlsParameters) => this.send(OPERATIONS.connectTransport, { callId, direction, dtlsParameters }).then(() => undefined),
      produce: (kind, rtpParameters) => this.send<{ produce: string }>(OPERATIONS.produce, { callId, kind, rtpParameters }).then((data) => data.produce),
      consume: (rtpCapabilities) =>
        this.send<{ consume: MediaConsumer | null }>(OPERATIONS.consume, { callId, rtpCapabilities }).then((data) => data.consume as never),
      resumeConsumer: (consumerId) => this.send(OPERATIONS.resumeConsumer, { callId, consumerId }).then(() => undefined),
      setMuted: (muted) => this.setMuted(callId, muted).then(() => undefined),
    };
  }

  /** Closes the media peers and the socket. */
  async close(): Promise<void> {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.stopUpdates?.();
    await this.client.dispose();
  }

  private listen(): void {
    this.stopUpdates = this.client.subscribe<{ callUpdates: CallUpdate }>(
      { query: OPERATIONS.callUpdates },
      {
        next: ({ data }) => data && this.onUpdate(data.callUpdates),
        error: () => undefined,
        complete: () => undefined,
      },
    );
  }

  private onUpdate(update: CallUpdate): void {
    this.updates.push(update);
    for (const waiter of [...this.waiters]) {
      if (!waiter.matches(update)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(update);
    }
    if (update.__typename === 'RemoteMediaUpdate') {
      const peer = this.peers.get(update.callId);
      if (peer && !peer.consumer) void peer.consumeRemote().catch(() => undefined);
    }
    if (update.__typename === 'CallStateUpdate' && TERMINAL_STATES.includes(update.call.state)) {
      this.peers.get(update.call.id)?.close();
      this.peers.delete(update.call.id);
    }
  }
}

function describe(update: CallUpdate): string {
  return update.__typename === 'CallStateUpdate' ? `${update.call.state}` : update.__typename;
}
