import type pg from 'pg';

/** One `COPY … FROM STDIN` (text format) and its rows. */
export interface Copy {
  statement: string;
  lines: readonly string[];
}

/**
 * Runs the COPYs as ONE simple-query message with all their data written right behind it
 * (events' ingest transaction: claims, events and announcements).
 * PostgreSQL runs the statements back to back as one implicit transaction, committed before it
 * answers, and never waits on this process between them (each wait would be a turn of a busy event
 * loop: at capacity those waits, not the work, bounded the ingest rate). When a statement fails,
 * the transaction rolls back and PostgreSQL drops the data still queued behind it; the client
 * stays usable. Resolves with each COPY's row count.
 */
export function runPipelinedCopies(client: pg.ClientBase, copies: readonly Copy[]): Promise<number[]> {
  const query = new PipelinedCopies(copies);
  void client.query(query as unknown as pg.QueryConfig);
  return query.done;
}

const COPY_DATA = 0x64;
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]);

/** A node-postgres Submittable (as pg-copy-streams' queries are): pg hands it the backend's answers. */
class PipelinedCopies {
  readonly done: Promise<number[]>;
  private readonly counts: number[] = [];
  private resolve!: (counts: number[]) => void;
  private reject!: (error: Error) => void;

  constructor(private readonly copies: readonly Copy[]) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: { query(text: string): void; stream: NodeJS.WritableStream }): void {
    connection.query(this.copies.map(({ statement }) => statement).join('; '));
    for (const { lines } of this.copies) {
      const data = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '');
      const header = Buffer.allocUnsafe(5);
      header[0] = COPY_DATA;
      header.writeUInt32BE(data.length + 4, 1);
      connection.stream.write(header);
      connection.stream.write(data);
      connection.stream.write(COPY_DONE);
    }
  }

  handleCopyInResponse(): void {
    // The data is on its way already.
  }

  handleCommandComplete(message: { text: string }): void {
    this.counts.push(Number(/^COPY (\d+)/.exec(message.text)?.[1] ?? 0));
  }

  handleReadyForQuery(): void {
    this.resolve(this.counts);
  }

  handleError(error: Error): void {
    this.reject(error);
  }

  /** pg replaces it to clear its query timeout. */
  callback(): void {}
}
