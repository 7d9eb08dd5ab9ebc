import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { operatorOf } from '../profiles/profile-traits.js';
import { fitToType, typeOf, type Fitted, type PropertyType } from './property-types.js';

export interface CatalogEntry {
  name: string;
  type: PropertyType;
  firstSeenAt: Date;
}

/**
 * One transaction's view of a project's property types: those in the catalog plus those its own
 * values introduce (registered with `PropertyCatalog.register` before it commits).
 */
export class PropertyTyping {
  private readonly introduced = new Map<string, PropertyType>();
  private readonly known: Map<string, PropertyType>;

  constructor(known: ReadonlyMap<string, PropertyType>) {
    this.known = new Map(known);
  }

  /**
   * `value` as property `name` stores it (coerced to its type, or fixing the type as its first
   * value), or why not. `exact`: no coercion (an operator's result is of its own type or wrong).
   */
  fit(name: string, value: unknown, exact = false): Fitted {
    const type = this.known.get(name) ?? this.introduced.get(name);
    if (type && exact && value !== null && typeOf(value) !== type) return { ok: false, reason: `property is ${type}; got ${typeOf(value)}` };
    if (type) return fitToType(value, type);
    const first = typeOf(value);
    if (!first) return { ok: true, value };
    const fitted = fitToType(value, first);
    if (fitted.ok) this.introduced.set(name, first);
    return fitted;
  }

  /**
   * Fixes the types of names first seen in `propertyTraits` (plain values by their type, `$incr`/`$decr`
   * as number, `$add` as list). Called in event order, so the first value in a batch decides even
   * when profiles are written in another order.
   */
  observe(propertyTraits: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(propertyTraits)) {
      if (this.known.has(name) || this.introduced.has(name)) continue;
      const operation = operatorOf(value);
      if (!operation) this.fit(name, value);
      else if (operation.operator === '$incr' || operation.operator === '$decr') this.introduced.set(name, 'number');
      else if (operation.operator === '$add') this.introduced.set(name, 'list');
    }
  }

  get newTypes(): ReadonlyMap<string, PropertyType> {
    return this.introduced;
  }

  /** The new types are in the catalog now: a later `register` in the transaction does not send them again. */
  markRegistered(): void {
    for (const [name, type] of this.introduced) this.known.set(name, type);
    this.introduced.clear();
  }
}

/** SQL for `profile_property`, the per-project catalog of property names and their types. */
@Injectable()
export class PropertyCatalog {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The types of `names` in the project, as a typing for one transaction. */
  async typing(manager: EntityManager, projectId: string, names: Iterable<string>): Promise<PropertyTyping> {
    return new PropertyTyping(await this.types(projectId, [...names], manager));
  }

  /**
   * Records the types `typing` introduced. A concurrent transaction may have fixed one of them
   * differently first: then this one fails (and is retried, seeing the catalog) rather than store
   * a value of the other type.
   */
  async register(manager: EntityManager, projectId: string, typing: PropertyTyping, at: Date): Promise<void> {
    const entries = [...typing.newTypes];
    if (entries.length === 0) return;
    // DO UPDATE (a no-op) rather than DO NOTHING: it returns the row that won, with its type.
    const rows = (await manager.query(
      `INSERT INTO profile_property (project_id, name, type, first_seen_at)
       SELECT $1, name, type, $2 FROM unnest($3::text[], $4::text[]) AS entry (name, type)
       ON CONFLICT (project_id, name) DO UPDATE SET name = EXCLUDED.name
       RETURNING name, type`,
      [projectId, at, entries.map(([name]) => name), entries.map(([, type]) => type)],
    )) as { name: string; type: PropertyType }[];
    const mismatched = rows.filter((row) => typing.newTypes.get(row.name) !== row.type).map((row) => row.name);
    if (mismatched.length > 0) throw new Error(`property types were fixed concurrently: ${mismatched.join(', ')}`);
    typing.markRegistered();
  }

  /** The types of `names` in the project (names not in the catalog are absent). */
  async types(projectId: string, names: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, PropertyType>> {
    if (names.length === 0) return new Map();
    const rows = (await manager.query(`SELECT name, type FROM profile_property WHERE project_id = $1 AND name = ANY($2::text[])`, [
      projectId,
      [...new Set(names)],
    ])) as { name: string; type: PropertyType }[];
    return new Map(rows.map((row) => [row.name, row.type]));
  }

  /** The project's catalog, by name. */
  async list(projectId: string): Promise<CatalogEntry[]> {
    const rows = (await this.dataSource.query(
      `SELECT name, type, first_seen_at FROM profile_property WHERE project_id = $1 ORDER BY name`,
      [projectId],
    )) as { name: string; type: PropertyType; first_seen_at: Date }[];
    return rows.map((row) => ({ name: row.name, type: row.type, firstSeenAt: row.first_seen_at }));
  }
}
