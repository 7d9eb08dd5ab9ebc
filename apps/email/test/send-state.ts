/**
 * The columns the specs read of a send `s` of email_send with its queue row `q` (LEFT JOIN
 * email_send_queue q ON q.send_id = s.id): a send being sent has a claim on its queue row, and
 * email_send says `queued` or `deferred` until its result is recorded.
 */
export const SEND_STATE = `CASE WHEN q.claimed_at IS NOT NULL THEN 'sending' ELSE s.status END AS status, s.reason, coalesce(q.attempts, s.attempts) AS attempts, s.to_address`;
