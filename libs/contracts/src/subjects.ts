import type { Domain, MessageContract } from './message.js';

/**
 * Subject naming. A prefix (empty in production) lets tests and parallel runs use their own
 * subjects and streams on one NATS server without colliding.
 */
export class SubjectNamer {
  constructor(readonly prefix = '') {
    if (prefix && !/^[a-z0-9_-]+\.$/i.test(prefix)) {
      throw new Error(`NATS subject prefix "${prefix}" must be letters, digits, _ or - followed by a dot`);
    }
  }

  subject(contract: MessageContract, projectId: string): string {
    return `${this.prefix}${contract.domain}.${projectId}.${contract.what}`;
  }

  /** Matches one kind of message across all projects (consumer filter). */
  filter(contract: MessageContract): string {
    return `${this.prefix}${contract.domain}.*.${contract.what}`;
  }

  domainWildcard(domain: Domain): string {
    return `${this.prefix}${domain}.>`;
  }

  streamName(domain: Domain): string {
    return `${this.streamPrefix}${domain.toUpperCase()}`;
  }

  deadLetterSubject(consumer: string): string {
    return `${this.prefix}deadletter.${consumer}`;
  }

  get deadLetterStream(): string {
    return `${this.streamPrefix}DEADLETTER`;
  }

  get deadLetterWildcard(): string {
    return `${this.prefix}deadletter.>`;
  }

  /** Core NATS request/reply subject (not on a stream). */
  request(name: string): string {
    return `${this.prefix}rpc.${name}`;
  }

  /** Splits a subject into its project and what-part; undefined when it is not ours. */
  parse(subject: string): { domain: string; projectId: string; what: string } | undefined {
    if (!subject.startsWith(this.prefix)) return undefined;
    const [domain, projectId, ...rest] = subject.slice(this.prefix.length).split('.');
    if (!domain || !projectId || rest.length === 0) return undefined;
    return { domain, projectId, what: rest.join('.') };
  }

  private get streamPrefix(): string {
    return this.prefix ? `${this.prefix.slice(0, -1).replace(/[^a-z0-9_-]/gi, '_').toUpperCase()}_` : '';
  }
}
