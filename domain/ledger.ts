// The ledger as finance reads it: account balances, the transfer journal, and a program's totals.
import { z } from 'zod';

export const accountKinds = ['rewards_expense', 'rewards_payable', 'stripe_credits', 'stripe_transfers', 'stripe_coupons'] as const;
export type AccountKind = (typeof accountKinds)[number];
/** Where a reward paid through Stripe went: customer balance credits, Connect transfers, or coupons. */
export type PaidThrough = Extract<AccountKind, 'stripe_credits' | 'stripe_transfers' | 'stripe_coupons'>;

export const transferPhases = ['single', 'pending', 'post', 'void'] as const;
export type TransferPhase = (typeof transferPhases)[number];

export const balanceSchema = z.object({
  accountId: z.string(),
  owner: z.string().describe('a participant id, or "program" for the program\'s own accounts'),
  kind: z.enum(accountKinds),
  programId: z.string(),
  currency: z.string(),
  pending: z.number().int().describe('held, not yet earned (minor units)'),
  posted: z.number().int(),
  available: z.number().int().describe('posted, less what pending transfers would take out'),
});
export type Balance = z.infer<typeof balanceSchema>;

export const transferSchema = z.object({
  transferId: z.string(),
  phase: z.enum(transferPhases),
  code: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  debitAccountId: z.string(),
  creditAccountId: z.string(),
  pendingId: z.string().nullable(),
  programId: z.string(),
  participantId: z.string().nullable(),
  referralId: z.string().nullable(),
  rewardId: z.string().nullable(),
  key: z.string(),
  createdAt: z.iso.datetime(),
});
export type Transfer = z.infer<typeof transferSchema>;

export const programSummarySchema = z.object({
  currency: z.string(),
  pendingLiability: z.number().int(),
  earned: z.number().int(),
  fulfilled: z.number().int(),
  owed: z.number().int(),
  voided: z.number().int(),
  reversed: z.number().int(),
});
export type ProgramSummary = z.infer<typeof programSummarySchema>;
