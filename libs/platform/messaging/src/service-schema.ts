import type { DataSource, EntityManager } from 'typeorm';

/** The service schema the messaging tables (outbox, inbox) live in: the data source's own. */
export function schemaOf(manager: EntityManager | DataSource): string {
  const { schema } = ('connection' in manager ? manager.connection : manager).options as { schema?: string };
  if (!schema) throw new Error('the data source has no schema: messaging tables live in the service schema');
  return schema;
}
