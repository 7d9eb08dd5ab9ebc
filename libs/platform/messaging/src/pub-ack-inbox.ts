import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** One message to store in a stream, with its Nats-Msg-Id. */
export interface StreamPublish {
  subject: string;
  body: string;
  msgId: string;
}

/**
 * Publishes a batch to JetStream and collects the streams' acks on one subscription of its own
 * (`<inbox>.<n>`), instead of one `js.publish` request each: nats.js builds a request, a timer, a
 * promise and a `RequestError("cancelled")` with its stack for every answered publish, twice this
 * path's client CPU. Says which messages a stream acknowledged; the caller sends the others through
 * `js.publish` and its retries (no responders, a lost ack, a leader election): the Nats-Msg-Id lets
 * the stream drop any that did land, so nothing is lost or stored twice.
 */
export class PubAckInbox {
  private readonly prefix = createInbox();
  private readonly subscription: Subscription;
  private readonly waiting = new Map<string, (acked: boolean) => void>();
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.answered(msg);
      },
    });
  }

  /** For each message, whether its stream acknowledged it within the timeout. */
  publish(messages: readonly StreamPublish[]): Promise<boolean[]> {
    const acked = messages.map(() => false);
    if (messages.length === 0) return Promise.resolve(acked);
    return new Promise((resolve) => {
      const tokens: string[] = [];
      let left = messages.length;
      const done = () => {
        clearTimeout(timer);
        for (const token of tokens) this.waiting.delete(token);
        resolve(acked);
      };
      const timer = setTimeout(done, this.timeoutMs);
      messages.forEach((message, i) => {
        const token = String(this.next++);
        tokens.push(token);
        this.waiting.set(token, (ok) => {
          acked[i] = ok;
          if (--left === 0) done();
        });
        const msgHeaders = headers();
        msgHeaders.set('Nats-Msg-Id', message.msgId);
        try {
          this.nc.publish(message.subject, message.body, { reply: `${this.prefix}.${token}`, headers: msgHeaders });
        } catch {
          // A closed or draining connection: left unacknowledged, for js.publish to report.
          this.waiting.get(token)!(false);
        }
      });
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private answered(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const settle = this.waiting.get(token);
    if (!settle) return;
    this.waiting.delete(token);
    // A status (503: no stream listens to the subject) has no body; an ack names its stream, an error says so.
    if (msg.headers?.hasError || msg.data.length === 0) return settle(false);
    try {
      const ack = msg.json<{ stream?: string; error?: unknown }>();
      settle(!ack.error && typeof ack.stream === 'string' && ack.stream !== '');
    } catch {
      settle(false);
    }
  }
}
