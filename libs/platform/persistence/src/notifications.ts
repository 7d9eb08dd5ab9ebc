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
  /** The listening connection failed; callers keep a poll as the backstop, so this only reports. */
  onError(error: Error): void;
  applicationName?: string;
}

/**
 * A dedicated connection LISTENing on one channel. PostgreSQL delivers a NOTIFY only when the
 * writer's transaction commits, so a listener woken by it always finds the rows that transaction
 * wrote (an in-process wake called inside the transaction can run before the commit and find
 * nothing). Notifications are a shortcut: a lost connection is reported, never relied on.
 */
export async function listenForNotifications(options: ListenOptions): Promise<NotificationListener> {
  const channel = assertIdentifier(options.channel, 'notification channel');
  const client = new pg.Client({ connectionString: options.connectionString, application_name: options.applicationName });
  client.on('error', options.onError);
  // One channel per connection: every notification is this channel's (PostgreSQL may truncate a long name).
  client.on('notification', (note) => options.onNotify(note.payload ?? ''));
  await client.connect();
  try {
    await client.query(`LISTEN "${channel}"`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return { close: () => client.end().catch(() => undefined) };
}
