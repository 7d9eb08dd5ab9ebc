import type { MessageOf, ProfileDeleted } from '@boomerang/contracts';
import { StreamEraser, type MessageErasure, type Messaging, type StoredMessage } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';

/**
 * GDPR erasure of what voice published: every CallPlaced and CallStateChanged naming an erased
 * profile, as caller or callee, is securely deleted from the VOICE stream and from the dead letters.
 * A call is one record of two people whose context (reason, reference, metadata) belongs to both:
 * voice deletes the whole call when either is erased, and so its messages, rather than keep a
 * copy naming a profile that no longer exists.
 */
export class CallStreamErasure {
  private readonly eraser: StreamEraser;

  constructor(messaging: Messaging, logger: Logger) {
    this.eraser = new StreamEraser(messaging, logger);
  }

  async erase(erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    const erasedByProject = new Map<string, Set<string>>();
    for (const { projectId, profileId } of erasures) {
      let erased = erasedByProject.get(projectId);
      if (!erased) erasedByProject.set(projectId, (erased = new Set()));
      erased.add(profileId);
    }
    await this.eraser.eraseFromDomain({
      domain: 'voice',
      projectIds: [...erasedByProject.keys()],
      decide: (message) => callMessageErasure(erasedByProject.get(message.projectId), message),
    });
  }
}

/** A voice message naming an erased profile goes whole (read as text: a malformed one too). */
export function callMessageErasure(erased: ReadonlySet<string> | undefined, message: StoredMessage): MessageErasure {
  for (const profileId of erased ?? []) if (message.text.includes(profileId)) return 'delete';
  return 'keep';
}
