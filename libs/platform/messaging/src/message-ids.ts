import type { MsgHdrs } from '@nats-io/transport-node';

/**
 * Header of a redacted copy (see StreamEraser): the id of the message it replaces. Consumers take
 * it as the copy's id, so one that handled the original skips the copy and one that had not
 * handles it once.
 */
export const REPLACES_HEADER = 'Boomerang-Replaces';

/** JetStream's publish dedupe header. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** The id consumers know a stored message by: the message it replaces, else its Nats-Msg-Id, else its stream sequence. */
export function messageIdOf(headers: MsgHdrs | undefined, streamSequence: number): string {
  return headers?.get(REPLACES_HEADER) || headers?.get(MSG_ID_HEADER) || `seq-${streamSequence}`;
}
