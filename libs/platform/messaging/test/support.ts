import { applyOwnedStream } from '@boomerang/platform/messaging';
import { createIsolatedSchema, createTestMessaging, type IsolatedSchema, type TestMessaging } from '@boomerang/platform/testing';

/** A throw-away schema with the messaging tables, and a subject prefix whose workspace stream is declared as its owner would. */
export interface MessagingTestBed {
  db: IsolatedSchema;
  nats: TestMessaging;
  close(): Promise<void>;
}

type Migrations = Parameters<typeof createIsolatedSchema>[1]['migrations'];

export async function startMessagingTestBed(schemaBase: string, migrations: Migrations): Promise<MessagingTestBed> {
  const db = await createIsolatedSchema(schemaBase, { entities: [], migrations });
  let nats: TestMessaging | undefined;
  const close = async () => {
    await nats?.cleanup();
    await db.drop();
  };
  try {
    nats = await createTestMessaging();
    await applyOwnedStream(nats.jsm, nats.subjects, 'workspace');
  } catch (error) {
    await close();
    throw error;
  }
  return { db, nats, close };
}
