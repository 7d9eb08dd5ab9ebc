import pg from 'pg';
import { assertIdentifier } from './postgres.js';

export interface NotificationListener {
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

export interface ListenOptions {
  connectionString: string;
  /** The channel, a lower-case SQL identifier (e.g. `<schema>_outbox`). */
  channel: string;
  onNotify(payload: string): void;
  /** The listening connection failed (it is opened again); callers keep a poll as the backstop, so this only reports. */
  onError(error: Error): void;
  /** Listening again after a lost connection: what was notified meanwhile never arrives, so look now. */
  onReconnect?(): void;
  applicationName?: string;
}

/** Waits before opening a lost listening connection again: doubling from the first to the last. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * A dedicated connection LISTENing on one channel. PostgreSQL delivers a NOTIFY only when the
 * writer's transaction commits, so a listener woken by it always finds the rows that transaction
 * wrote (an in-process wake called inside the transaction can run before the commit and find
 * nothing). Notifications are a shortcut: a lost connection is reported and opened again (with
 * backoff, then `onReconnect`), never relied on. The first connection's failure is thrown.
 */
export async function listenForNotifications(options: ListenOptions): Promise<NotificationListener> {
  const channel = assertIdentifier(options.channel, 'notification channel');
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const open = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: options.connectionString, application_name: options.applicationName });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error(`the connection listening on ${channel} ended`)));
    // One channel per connection: every notification is this channel's (PostgreSQL may truncate a long name).
    client.on('notification', (note) => options.onNotify(note.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  };

  // The connection listening now (an error and then the end of one connection are one loss).
  let current: pg.Client | undefined;
  const lost = (client: pg.Client, error: Error) => {
    if (closed || client !== current) return;
    current = undefined;
    options.onError(error);
    void client.end().catch(() => undefined);
    reopen(RECONNECT_FIRST_MS);
  };
  const reopen = (delayMs: number) => {
    retry = setTimeout(() => {
      void (async () => {
        if (closed) return;
        try {
          current = await open();
        } catch (error) {
          if (closed) return;
          options.onError(error as Error);
          return reopen(Math.min(delayMs * 2, RECONNECT_MAX_MS));
        }
        if (closed) return void current.end().catch(() => undefined);
        options.onReconnect?.();
      })();
    }, delayMs);
  };

  current = await open();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await current?.end().catch(() => undefined);
    },
  };
}
