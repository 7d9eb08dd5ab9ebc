import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from '@nats-io/transport-node';
import { isEmail } from 'class-validator';
import type { DataSource } from 'typeorm';
import { ResolveIdentities, type LookupIdentityKind, type ResolveIdentitiesReply, type ResolveIdentitiesRequest } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { E164 } from '../profiles/dto/create-profile.input.js';
import { identityKey, normalizeIdentity, type Identity } from './identity.entity.js';
import { IdentityRepository } from './identity.repository.js';

/** Separators people write phone numbers with: `+49 (30) 1234-567`, `+1.415.555.0123`. */
const PHONE_SEPARATORS = /[\s().-]/g;

/**
 * A value as profiles stores an identity of `kind`, or null when it is not one: emails trimmed and
 * lower-cased (valid addresses only), phones without separators and with `00` read as `+` (E.164
 * only), user ids as given.
 */
export function lookupIdentity(kind: LookupIdentityKind, value: string): Identity | null {
  switch (kind) {
    case 'user_id':
      return value === '' ? null : { kind, value };
    case 'email': {
      const email = normalizeIdentity({ kind, value });
      return email.value.length <= 320 && isEmail(email.value) ? email : null;
    }
    case 'phone': {
      const compact = value.replace(PHONE_SEPARATORS, '');
      const phone = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
      return E164.test(phone) ? { kind, value: phone } : null;
    }
  }
}

/**
 * Answers ResolveIdentities: the live profile holding each value of a batch (identities move to
 * the survivor on a merge and go with an erased profile), in one query per request.
 */
@Injectable()
export class IdentityLookupResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly identities: IdentityRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, ResolveIdentities, (request) => this.resolve(request), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async resolve(request: ResolveIdentitiesRequest): Promise<ResolveIdentitiesReply> {
    const looked = request.values.map((value) => lookupIdentity(request.kind, value));
    const valid = looked.filter((identity): identity is Identity => identity !== null);
    const owners = await this.identities.owners(this.dataSource.manager, request.projectId, valid);
    return {
      profileIds: looked.map((identity) => (identity ? (owners.get(identityKey(identity)) ?? null) : null)),
      malformed: looked.flatMap((identity, index) => (identity ? [] : [index])),
    };
  }
}
