/** One recipient's block of an RFC 3464 `message/delivery-status` part. */
export interface RecipientStatus {
  /** Final-Recipient's address (`rfc822; addr`). */
  recipient: string;
  action: string;
  /** RFC 3463 status, e.g. 5.1.1. */
  status: string;
  diagnostic: string | null;
}

/**
 * Parses the per-recipient blocks of a delivery-status body (RFC 3464 §2.3: header-style fields,
 * blocks separated by blank lines, the first block about the message). Blocks without a
 * Final-Recipient, Action or Status are left out.
 */
export function parseDeliveryStatus(body: string): RecipientStatus[] {
  const found: RecipientStatus[] = [];
  for (const fields of fieldBlocks(body)) {
    const recipient = /^[^;]*;\s*(.+)$/.exec(fields.get('final-recipient') ?? '')?.[1]?.trim();
    const action = fields.get('action')?.toLowerCase();
    const status = /^\d\.\d{1,3}\.\d{1,3}/.exec(fields.get('status') ?? '')?.[0];
    if (recipient && action && status) found.push({ recipient, action, status, diagnostic: fields.get('diagnostic-code') ?? null });
  }
  return found;
}

/** failed with 5.x.x: hard (the address does not take mail); failed with 4.x.x: soft; anything else (delayed, delivered, relayed): not a bounce. */
export function bounceTypeOf({ action, status }: Pick<RecipientStatus, 'action' | 'status'>): 'hard' | 'soft' | null {
  if (action !== 'failed') return null;
  return status.startsWith('5.') ? 'hard' : 'soft';
}

/**
 * The blocks of header-style fields of a report part (a delivery-status or feedback-report body):
 * lines unfolded, blocks separated by blank lines; names lower-cased, the first of a name kept.
 */
export function fieldBlocks(body: string): Map<string, string>[] {
  const unfolded = body.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  return unfolded.split(/\n\s*\n/).map((block) => {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      if (colon > 0 && !fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
    }
    return fields;
  });
}
