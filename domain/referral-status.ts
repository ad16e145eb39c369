// The statuses a referral moves through, without their schema (domain/referral.ts). Workflow code
// imports these, and a workflow bundle's modules are instantiated once per cached workflow: importing
// zod there cost each cached referral about 1 MiB of worker memory (README, Performance).

export const referralStatuses = [
  'pending_conversion',
  'in_review',
  'holding',
  'rewarding',
  'rewarded',
  'needs_attention',
  'expired',
  'rejected',
  'voided',
  'capped',
  'cancelled',
  'reversed',
] as const;

export type ReferralStatus = (typeof referralStatuses)[number];

/** Statuses after which ops can no longer cancel: the referral is over, or its reward went out. */
export const endedStatuses: ReadonlySet<ReferralStatus> = new Set(['rewarded', 'reversed', 'expired', 'rejected', 'voided', 'capped', 'cancelled']);
