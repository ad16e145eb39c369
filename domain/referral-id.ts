// A referral's id is derived from (programId, refereeExternalId), so a conversion can be routed to
// its workflow without a database look-up. The external id is hashed: it may be an email address,
// and ids end up in the Temporal UI and in logs.
import { createHash } from 'node:crypto';

export function referralIdFor(programId: string, refereeExternalId: string): string {
  const digest = createHash('sha256').update(programId).update('\u0000').update(refereeExternalId).digest('base64url');
  return `ref_${digest.slice(0, 24)}`;
}
