import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { applyOwnedStream, DurableConsumer, OutboxRelay, type DurableConsumerDefinition, type Messaging } from '@boomerang/platform/messaging';
import type { MessageContract } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING, SUBGRAPH_OPTIONS, type SubgraphOptions } from './tokens.js';

/** Something that publishes what its transactions recorded; `flush` publishes all of it now. */
export interface OutboxPublisher {
  flush(): Promise<void>;
}

/**
 * Starts the service's messaging after the app is built: declares the stream it owns, runs the
 * outbox relay and the durable consumers features registered; stops them in reverse on
 * shutdown so in-flight work finishes before the connections close.
 */
@Injectable()
export class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly relay: OutboxRelay;
  private readonly consumers: DurableConsumer<MessageContract>[] = [];
  private readonly publishers: OutboxPublisher[] = [];
  private started = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SUBGRAPH_OPTIONS) private readonly options: SubgraphOptions,
  ) {
    this.relay = new OutboxRelay(dataSource, messaging, logger);
  }

  /** Features call this from their constructors; consumers start with the app. */
  register<C extends MessageContract>(definition: DurableConsumerDefinition<C>): void {
    const consumer = new DurableConsumer(definition, this.dataSource, this.messaging, this.logger);
    this.consumers.push(consumer as unknown as DurableConsumer<MessageContract>);
    if (this.started) {
      consumer.start().catch((error) => this.logger.error({ err: error, consumer: definition.durable }, 'consumer failed to start'));
    }
  }

  /** The registered durables with the domain each reads (tests wait for them to attach). */
  subscriptions(): { durable: string; domain: string }[] {
    return this.consumers.map((consumer) => consumer.subscription);
  }

  /** A feature's own outbox (e.g. events' announcements); flushOutbox flushes it too. */
  addPublisher(publisher: OutboxPublisher): void {
    this.publishers.push(publisher);
  }

  /** Publishes pending outbox rows now (tests and graceful shutdown). */
  async flushOutbox(): Promise<void> {
    await this.relay.flush();
    for (const publisher of this.publishers) await publisher.flush();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.ownsStream) await applyOwnedStream(this.messaging.jsm, this.messaging.subjects, this.options.ownsStream, this.messaging.streamReplicas);
    await this.relay.start();
    for (const consumer of this.consumers) await consumer.start();
    this.started = true;
  }

  /** Runs while the database pool is still open (TypeORM closes it in its shutdown hook). */
  async beforeApplicationShutdown(): Promise<void> {
    for (const consumer of this.consumers) await consumer.stop();
    await this.relay.flush().catch(() => undefined);
    await this.relay.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.messaging.nc.drain().catch(() => undefined);
  }
}
