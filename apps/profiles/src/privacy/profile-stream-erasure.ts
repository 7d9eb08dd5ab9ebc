import { Inject, Injectable } from '@nestjs/common';
import { ProfileChanged, ProfileDeleted, type MessageOf } from '@boomerang/contracts';
import { StreamEraser, type MessageErasure, type Messaging, type StoredMessage } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING, MessagingLifecycle } from '@boomerang/platform/subgraph';

export const PROFILE_STREAM_ERASURE_DURABLE = 'profiles-stream-erasure';

/**
 * GDPR erasure of what profiles published. A consumer of its own ProfileDeleted securely deletes
 * every ProfileCreated, ProfileIdentified, ProfileMerged and ProfileChanged naming an erased profile
 * (each is about one profile, and carries its user and anonymous ids; ProfileChanged its email,
 * phone and properties) from the PROFILES stream and from the dead letters. ProfileDeleted itself
 * stays: it carries the erased id and keyed fingerprints only, and the other services still have
 * to read it. The erasures fetched together share one scan.
 */
@Injectable()
export class ProfileStreamErasure {
  private readonly eraser: StreamEraser;

  constructor(lifecycle: MessagingLifecycle, @Inject(MESSAGING) messaging: Messaging, @Inject(LOGGER) logger: Logger) {
    this.eraser = new StreamEraser(messaging, logger);
    lifecycle.register({
      durable: PROFILE_STREAM_ERASURE_DURABLE,
      contract: ProfileDeleted,
      // A scan reads the project's whole stream.
      longRunning: true,
      handle: (body) => this.erase([body]),
      handleBatch: (messages) => this.erase(messages.map((message) => message.body)),
    });
  }

  async erase(erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    const erasedByProject = new Map<string, Set<string>>();
    for (const { projectId, profileId } of erasures) {
      let erased = erasedByProject.get(projectId);
      if (!erased) erasedByProject.set(projectId, (erased = new Set()));
      erased.add(profileId);
    }
    await this.eraser.eraseFromDomain({
      domain: 'profiles',
      projectIds: [...erasedByProject.keys()],
      decide: (message) => profileMessageErasure(erasedByProject.get(message.projectId), message),
    });
  }
}

/**
 * A profiles message naming an erased profile goes whole (read as text: a malformed one too);
 * ProfileDeleted stays. A ProfileChanged goes when it is the erased profile's: another profile's
 * snapshot whose properties happen to name the id is not the erased person's data.
 */
export function profileMessageErasure(erased: ReadonlySet<string> | undefined, message: StoredMessage): MessageErasure {
  if (!erased || message.what === ProfileDeleted.what) return 'keep';
  const subject = message.what === ProfileChanged.what ? snapshotProfileId(message.text) : undefined;
  if (subject !== undefined) return erased.has(subject) ? 'delete' : 'keep';
  for (const profileId of erased) if (message.text.includes(profileId)) return 'delete';
  return 'keep';
}

/** The profile a ProfileChanged body is about; undefined when it does not read as one (then the text decides). */
function snapshotProfileId(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { profileId?: unknown } | null;
    return typeof body?.profileId === 'string' ? body.profileId : undefined;
  } catch {
    return undefined;
  }
}
