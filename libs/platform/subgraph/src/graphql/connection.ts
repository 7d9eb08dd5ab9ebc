import { ArgsType, Directive, Field, Int, ObjectType } from '@nestjs/graphql';
import { IsOptional, IsString, Max, Min } from 'class-validator';
import { DomainError } from '../domain-error.js';

@ObjectType({ description: 'Relay-style page information.' })
@Directive('@shareable')
export class PageInfo {
  @Field() hasNextPage: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to read the next page.' }) endCursor: string | null;
}

/** Forward paging over a connection; a list's own args extend it with their filters. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { defaultValue: 20 })
  @Min(1)
  @Max(100)
  first: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string | null;
}

/** A position in a list ordered by (time, id): opaque to clients. */
export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor({ at, id }: CursorPosition): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('malformed');
    return { at: date, id };
  } catch {
    throw new DomainError('INVALID_CURSOR', 'invalid-input', `Invalid value for ${field}: not a cursor from this list`, field);
  }
}

export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
}

/** Shapes a page of rows as a connection (edges, cursors, pageInfo). */
export function toConnection<T extends { id: string }>(page: Page<T>, positionOf: (row: T) => Date) {
  const edges = page.rows.map((node) => ({ node, cursor: encodeCursor({ at: positionOf(node), id: node.id }) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that cannot exist are filtered before they reach a uuid column. */
export const isUuid = (value: string): boolean => UUID.test(value);
