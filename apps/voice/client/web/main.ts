// The reference web client for Direct Call: connect with a call token, place or answer a call,
// and carry its audio through mediasoup (mediasoup-client). Plain DOM on purpose: it is meant
// to be read by app developers building their own client. Bundled by esbuild (see ../build.mjs).
import { createClient, type Client } from 'graphql-ws';
import { Device, type types } from 'mediasoup-client';
import {
  CLOSE_UNAUTHORIZED,
  OPERATIONS,
  SIGNALLING_PATH,
  TERMINAL_STATES,
  describeCloseEvent,
  request,
  type CallUpdate,
  type CallView,
  type MediaConsumer,
  type MediaSession,
  type TransportDirection,
} from '../protocol.js';

const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const screens = ['connect', 'place', 'incoming', 'in-call'] as const;

let client: Client | undefined;
let call: CallView | undefined;
let media: CallMedia | undefined;
let timer: number | undefined;
/** The call this page placed, answered or resumed: only that page carries its audio (other tabs of the profile just follow). */
let ownCallId: string | undefined;

function show(screen: (typeof screens)[number]): void {
  for (const id of screens) element(id).hidden = id !== screen;
}

function say(message: string): void {
  element('status').textContent = message;
}

const send = <T>(query: string, variables: Record<string, unknown> = {}) => request<T>(client!, query, variables);

// Connecting ---------------------------------------------------------------------------------

function connect(token: string): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SIGNALLING_PATH}`;
  client = createClient({
    url,
    connectionParams: { token },
    lazy: false,
    retryAttempts: 5,
    on: {
      connected: () => {
        say('Connected. Waiting for calls.');
        if (!call) show('place');
        // After a reconnect (or a page reload) the call may still be going on: pick it up again.
        void send<{ activeCall: CallView | null }>(OPERATIONS.activeCall).then(({ activeCall }) => {
          if (!activeCall) return;
          ownCallId = activeCall.id;
          onCall(activeCall);
        });
      },
      closed: (event) => {
        const reason = describeCloseEvent(event);
        if ((event as CloseEvent).code === CLOSE_UNAUTHORIZED) {
          say(`Disconnected: ${reason}. Enter a new token.`);
          show('connect');
        } else {
          say(`Reconnecting (${reason})…`);
        }
      },
    },
  });
  client.subscribe<{ callUpdates: CallUpdate }>(
    { query: OPERATIONS.callUpdates },
    {
      next: ({ data }) => data && void onUpdate(data.callUpdates),
      error: (error) => say(`Updates stopped: ${describeCloseEvent(error)}`),
      complete: () => undefined,
    },
  );
}

async function onUpdate(update: CallUpdate): Promise<void> {
  switch (update.__typename) {
    case 'CallStateUpdate':
      return onCall(update.call);
    case 'RemoteMediaUpdate':
      if (update.callId === call?.id) await media?.consumeRemote();
      return;
    case 'RemoteMutedUpdate':
      if (update.callId === call?.id) element('in-call').querySelector<HTMLElement>('.remote-muted')!.hidden = !update.muted;
      return;
  }
}

// Call screens -------------------------------------------------------------------------------

function onCall(view: CallView): void {
  if (call && view.id !== call.id && !TERMINAL_STATES.includes(call.state)) return; // one call at a time
  call = view;
  if (TERMINAL_STATES.includes(view.state)) return void endCall(view);
  if (view.state === 'RINGING' && view.role === 'CALLEE') {
    render(element('incoming'), view);
    show('incoming');
    say(`Incoming call from ${view.remote.displayName}`);
    return;
  }
  if (ownCallId !== view.id) {
    say(`A call with ${view.remote.displayName} goes on in another window.`);
    show('place');
    return;
  }
  render(element('in-call'), view);
  show('in-call');
  element('in-call').querySelector('.call-state')!.textContent = view.state === 'ANSWERED' ? 'On call' : 'Calling…';
  if (view.state === 'ANSWERED') startTimer(view.answeredAt);
  // The caller prepares media while it rings, so audio flows the moment the callee answers.
  if (!media) void startMedia(view.id);
}

/** Fills a call card with the call's branding, context and the other side's masked identity. */
function render(card: HTMLElement, view: CallView): void {
  const { branding, remote, context } = view;
  card.style.setProperty('--background', branding?.backgroundColor ?? '#ffffff');
  card.style.setProperty('--font', branding?.fontColor ?? '#1b1b1f');
  card.style.setProperty('--button', branding?.buttonColor ?? '#3559e0');
  const text = (selector: string, value: string | null | undefined) => {
    const node = card.querySelector<HTMLElement>(selector);
    if (node) node.textContent = value ?? '';
  };
  const image = (selector: string, url: string | null | undefined, alt: string) => {
    const node = card.querySelector<HTMLImageElement>(selector)!;
    node.hidden = !url;
    if (url) Object.assign(node, { src: url, alt });
  };
  image('.logo', branding?.logoUrl, branding?.brandName ? `${branding.brandName} logo` : 'Logo');
  text('.brand-name', branding?.brandName);
  image('.avatar', remote.avatarUrl, `Picture of ${remote.displayName}`);
  text('.display-name', remote.displayName);
  text('.identity-role', remote.role);
  text('.proxy-number', remote.proxyNumber ? `Number for this call: ${remote.proxyNumber}` : '');
  text('.reason', context.reason);
  text('.reference', context.reference);
  for (const selector of ['.reference', '.reference-label']) {
    const node = card.querySelector<HTMLElement>(selector);
    if (node) node.hidden = !context.reference;
  }
}

function startTimer(answeredAt: string | null): void {
  if (timer !== undefined || !answeredAt) return;
  const started = Date.parse(answeredAt);
  const tick = () => {
    const seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    element('in-call').querySelector('.timer')!.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  };
  tick();
  timer = window.setInterval(tick, 1000);
}

function endCall(view: CallView): void {
  media?.close();
  media = undefined;
  window.clearInterval(timer);
  timer = undefined;
  const outcome = view.state === 'ENDED' && view.durationSeconds != null ? `Call ended after ${view.durationSeconds} s.` : `Call ${view.state.toLowerCase()}.`;
  say(view.endReason ? `${outcome} (${view.endReason.toLowerCase().replace(/_/g, ' ')})` : outcome);
  call = undefined;
  ownCallId = undefined;
  show('place');
}

// Media --------------------------------------------------------------------------------------

/** One call's mediasoup side: a send transport with the microphone, a receive transport with the other side. */
class CallMedia {
  private readonly device = new Device();
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private microphone?: MediaStreamTrack;
  private producer?: types.Producer;
  private readonly consumers = new Map<string, types.Consumer>();
  private consuming = Promise.resolve();
  private closed = false;

  constructor(private readonly callId: string) {}

  async start(): Promise<void> {
    const sending = await this.join('SEND');
    await this.device.load({ routerRtpCapabilities: sending.routerRtpCapabilities });
    this.sendTransport = this.device.createSendTransport(sending.transport);
    this.wire(this.sendTransport, 'SEND');
    this.sendTransport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      send<{ produce: string }>(OPERATIONS.produce, { callId: this.callId, kind, rtpParameters }).then(({ produce }) => callback({ id: produce }), errback);
    });
    const receiving = await this.join('RECV');
    this.recvTransport = this.device.createRecvTransport(receiving.transport);
    this.wire(this.recvTransport, 'RECV');

    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      this.microphone = stream.getAudioTracks()[0];
    } catch (error) {
      // The call goes on (the other side can still be heard); the project learns why it was silent.
      const name = (error as DOMException).name;
      const kind = name === 'NotAllowedError' ? 'MICROPHONE_PERMISSION_DENIED' : 'MICROPHONE_UNAVAILABLE';
      say('Your microphone is not available: the other side cannot hear you.');
      await send(OPERATIONS.reportClient, { callId: this.callId, kind, detail: name }).catch(() => undefined);
    }
    if (this.microphone && !this.closed) this.producer = await this.sendTransport.produce({ track: this.microphone, codecOptions: { opusDtx: true } });
    await this.consumeRemote();
  }

  /** Consumes the other side's audio once it exists (called again on each RemoteMediaUpdate). */
  consumeRemote(): Promise<void> {
    this.consuming = this.consuming.then(async () => {
      if (!this.recvTransport || this.closed) return;
      const { consume } = await send<{ consume: MediaConsumer | null }>(OPERATIONS.consume, { callId: this.callId, rtpCapabilities: this.device.rtpCapabilities });
      if (!consume || this.consumers.has(consume.producerId)) return;
      const consumer = await this.recvTransport.consume(consume);
      this.consumers.set(consume.producerId, consumer);
      element<HTMLAudioElement>('remote-audio').srcObject = new MediaStream([consumer.track]);
      await send(OPERATIONS.resumeConsumer, { callId: this.callId, consumerId: consumer.id });
    });
    return this.consuming.catch((error: Error) => say(`Could not receive audio: ${error.message}`));
  }

  async setMuted(muted: boolean): Promise<void> {
    if (!this.producer) return;
    if (muted) this.producer.pause();
    else this.producer.resume();
    await send(OPERATIONS.setMuted, { callId: this.callId, muted });
  }

  /** Audio bytes in and out according to the browser's WebRTC stats (used by the browser test). */
  async stats(): Promise<{ inboundAudioBytes: number; outboundAudioBytes: number }> {
    let inboundAudioBytes = 0;
    let outboundAudioBytes = 0;
    for (const transport of [this.sendTransport, this.recvTransport]) {
      const report = await transport?.getStats();
      report?.forEach((entry: { type: string; kind?: string; bytesReceived?: number; bytesSent?: number }) => {
        if (entry.type === 'inbound-rtp' && entry.kind === 'audio') inboundAudioBytes += entry.bytesReceived ?? 0;
        if (entry.type === 'outbound-rtp' && entry.kind === 'audio') outboundAudioBytes += entry.bytesSent ?? 0;
      });
    }
    return { inboundAudioBytes, outboundAudioBytes };
  }

  close(): void {
    this.closed = true;
    this.microphone?.stop();
    this.sendTransport?.close();
    this.recvTransport?.close();
    element<HTMLAudioElement>('remote-audio').srcObject = null;
  }

  private join(direction: TransportDirection): Promise<MediaSession> {
    return send<{ joinMedia: MediaSession }>(OPERATIONS.joinMedia, { callId: this.callId, direction }).then((data) => data.joinMedia);
  }

  private wire(transport: types.Transport, direction: TransportDirection): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      send(OPERATIONS.connectTransport, { callId: this.callId, dtlsParameters, direction }).then(() => callback(), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') say('The audio connection failed.');
    });
  }
}

async function startMedia(callId: string): Promise<void> {
  media = new CallMedia(callId);
  try {
    await media.start();
  } catch (error) {
    say(`Audio could not start: ${(error as Error).message}`);
    await send(OPERATIONS.reportClient, { callId, kind: 'MEDIA_SETUP_FAILED', detail: (error as Error).message.slice(0, 200) }).catch(() => undefined);
  }
}

// Controls -----------------------------------------------------------------------------------

const act = (work: () => Promise<unknown>) => () =>
  void work().catch((error: Error) => {
    say(error.message);
  });

element<HTMLFormElement>('connect').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = element<HTMLTextAreaElement>('token').value.trim();
  if (token) connect(token);
});

element<HTMLFormElement>('place').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const field = (name: string) => String(form.get(name) ?? '').trim();
  const reference = field('reference');
  const branding = Object.fromEntries(
    ['brandName', 'logoUrl', 'backgroundColor', 'fontColor', 'buttonColor'].map((name) => [name, field(name)]).filter(([, value]) => value),
  );
  act(async () => {
    say('Calling…');
    const { placeCall } = await send<{ placeCall: CallView }>(OPERATIONS.placeCall, {
      input: {
        calleeProfileId: field('callee'),
        reason: field('reason'),
        ...(reference ? { reference } : {}),
        ...(Object.keys(branding).length > 0 ? { branding } : {}),
      },
    });
    ownCallId = placeCall.id;
    onCall(placeCall);
  })();
});

element('answer').addEventListener(
  'click',
  act(async () => {
    if (!call) return;
    ownCallId = call.id;
    const { answerCall } = await send<{ answerCall: CallView }>(OPERATIONS.answerCall, { callId: call.id });
    onCall(answerCall);
  }),
);
element('decline').addEventListener(
  'click',
  act(async () => {
    if (call) onCall((await send<{ declineCall: CallView }>(OPERATIONS.declineCall, { callId: call.id })).declineCall);
  }),
);
element('hang-up').addEventListener(
  'click',
  act(async () => {
    if (call) onCall((await send<{ hangUp: CallView }>(OPERATIONS.hangUp, { callId: call.id })).hangUp);
  }),
);
element('mute').addEventListener(
  'click',
  act(async () => {
    const button = element('mute');
    const muted = button.getAttribute('aria-pressed') !== 'true';
    await media?.setMuted(muted);
    button.setAttribute('aria-pressed', String(muted));
    button.textContent = muted ? 'Unmute' : 'Mute';
    button.setAttribute('aria-label', muted ? 'Unmute microphone' : 'Mute microphone');
  }),
);

// For tests and debugging: what state the page is in and what audio it moved.
Object.assign(window, {
  directCall: {
    state: () => call?.state ?? (client ? 'IDLE' : 'DISCONNECTED'),
    callId: () => call?.id,
    stats: () => media?.stats() ?? Promise.resolve({ inboundAudioBytes: 0, outboundAudioBytes: 0 }),
  },
});

const fromQuery = new URLSearchParams(location.search).get('token');
if (fromQuery) {
  element<HTMLTextAreaElement>('token').value = fromQuery;
  connect(fromQuery);
}
