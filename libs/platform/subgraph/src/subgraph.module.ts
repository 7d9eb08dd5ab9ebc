import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloFederationDriver, type ApolloFederationDriverConfig } from '@nestjs/apollo';
import { Global, Module, ValidationPipe, type ArgumentMetadata, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { ValidationError } from 'class-validator';
import { GraphQLError } from 'graphql';
import { verifyCallerContext } from '@boomerang/platform/auth';
import { connectMessaging, OutboxWriter, type Messaging } from '@boomerang/platform/messaging';
import { createLogger, type Logger } from '@boomerang/platform/observability';
import { openServiceDataSource, serviceDataSourceOptions, ensureDatabase } from '@boomerang/platform/persistence';
import { AccessGuard } from './access.guard.js';
import type { SignedRequest, SubgraphContext } from './caller.js';
import { DomainError, formatSubgraphError } from './domain-error.js';
import { enforceArgumentRules } from './graphql/argument-rules.js';
import { HealthController } from './health.controller.js';
import { MessagingLifecycle } from './messaging.lifecycle.js';
import { RequestLoaders } from './request-loaders.js';
import { loadSubgraphConfig, type SubgraphConfig } from './subgraph-config.js';
import { LOGGER, MESSAGING, SUBGRAPH_CONFIG, SUBGRAPH_OPTIONS, type SubgraphOptions } from './tokens.js';

/** Names the first failing field and its rule, e.g. `input.name: name must be shorter…`. */
function validationError(errors: ValidationError[], path = ''): DomainError {
  const first = errors[0]!;
  const field = path ? `${path}.${first.property}` : first.property;
  if (!first.constraints && first.children?.length) return validationError(first.children, field);
  const rules = Object.values(first.constraints ?? {}).join('; ');
  return new DomainError('INVALID_INPUT', 'invalid-input', `Invalid value for ${field}: ${rules}`, field);
}

/** class-validator for GraphQL arguments, with errors naming `argument.field` and the rule. */
class ArgumentValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, whitelist: true, forbidUnknownValues: false, exceptionFactory: (errors) => validationError(errors) });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof DomainError) || !metadata.data || !error.field) throw error;
      const field = `${metadata.data}.${error.field}`;
      throw new DomainError(error.code, error.kind, error.message.replace(`for ${error.field}:`, `for ${field}:`), field);
    }
  }
}

/**
 * Everything a Boomerang subgraph needs besides its features: validated config, pino logs,
 * its PostgreSQL schema with migrations, NATS with the outbox relay, Federation 2 GraphQL that
 * accepts only gateway-signed requests, the access guard, input validation and health checks.
 */
@Global()
@Module({})
export class SubgraphModule {
  static forRoot(options: SubgraphOptions): DynamicModule {
    const config = loadSubgraphConfig(options.service, options.defaultPort);
    const logger = createLogger(options.service, config.LOG_LEVEL);
    const serviceOptions = { url: config.DATABASE_URL, schema: config.schema, entities: options.entities as never, migrations: options.migrations, logger };
    const dataSourceOptions = serviceDataSourceOptions(serviceOptions);
    return {
      module: SubgraphModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions,
          dataSourceFactory: async () => {
            await ensureDatabase(config.DATABASE_URL);
            return openServiceDataSource(serviceOptions, { migrate: config.MIGRATE_ON_START });
          },
        }),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>({
          driver: ApolloFederationDriver,
          autoSchemaFile: { federation: 2 },
          buildSchemaOptions: { orphanedTypes: options.orphanedTypes ?? [] },
          sortSchema: true,
          transformSchema: enforceArgumentRules,
          playground: false,
          // Traces are for Apollo's hosted studio, which a self-hosted platform does not use.
          plugins: [ApolloServerPluginInlineTraceDisabled()],
          introspection: true,
          includeStacktraceInErrorResponses: false,
          context: ({ req }: { req: SignedRequest }): SubgraphContext => {
            try {
              return { caller: verifyCallerContext(req.headers, req.rawBody, config.INTERNAL_SIGNING_SECRET), loaders: new RequestLoaders() };
            } catch (error) {
              throw new GraphQLError(`Unauthenticated: ${(error as Error).message}`, {
                extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
              });
            }
          },
          formatError: (formatted, error) => {
            const result = formatSubgraphError(formatted, error);
            if (result.extensions?.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error }, 'unexpected resolver error');
            return result;
          },
        }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: SUBGRAPH_OPTIONS, useValue: options },
        { provide: SUBGRAPH_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: MESSAGING,
          useFactory: (): Promise<Messaging> =>
            connectMessaging({ url: config.NATS_URL, name: options.service, prefix: config.NATS_SUBJECT_PREFIX, streamReplicas: config.NATS_STREAM_REPLICAS }),
        },
        { provide: OutboxWriter, useFactory: (messaging: Messaging) => new OutboxWriter(messaging.subjects), inject: [MESSAGING] },
        MessagingLifecycle,
        { provide: APP_GUARD, useClass: AccessGuard },
        {
          provide: APP_PIPE,
          useValue: new ArgumentValidationPipe(),
        },
      ],
      exports: [SUBGRAPH_OPTIONS, SUBGRAPH_CONFIG, LOGGER, MESSAGING, OutboxWriter, MessagingLifecycle],
    };
  }
}

export type { SubgraphConfig, Logger };
