import type { Domain } from '@boomerang/contracts';
import type { MigrationInterface } from 'typeorm';

export const SUBGRAPH_OPTIONS = Symbol('SUBGRAPH_OPTIONS');
export const SUBGRAPH_CONFIG = Symbol('SUBGRAPH_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const MESSAGING = Symbol('MESSAGING');

export interface SubgraphOptions {
  /** Service name: logs, NATS connection name, default PostgreSQL schema. */
  readonly service: string;
  readonly defaultPort: number;
  // TypeORM accepts classes of any constructor shape here.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: Function[];
  readonly migrations: (new () => MigrationInterface)[];
  /**
   * Entities of other subgraphs this one only adds fields to, which none of its own fields
   * return: the schema leaves out types nothing reaches unless they are named here.
   */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly orphanedTypes?: Function[];
  /** The JetStream stream this service publishes to and therefore declares. */
  readonly ownsStream?: Domain;
}
