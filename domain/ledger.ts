// The ledger as finance reads it: account balances (now or at a past time), the transfer journal,
// a participant's statement, and a program's totals.
import { z } from 'zod';

export const accountKinds = ['rewards_expense', 'rewards_payable', 'stripe_credits', 'stripe_transfers', 'stripe_coupons'] as const;
export type AccountKind = (typeof accountKinds)[number];
/** Where a reward paid through Stripe went: customer balance credits, Connect transfers, or coupons. */
export type PaidThrough = Extract<AccountKind, 'stripe_credits' | 'stripe_transfers' | 'stripe_coupons'>;

export const transferPhases = ['single', 'pending', 'post', 'void'] as const;
export type TransferPhase = (typeof transferPhases)[number];

export const transferCodes = ['reward_earned', 'reward_fulfilled', 'reward_reversed'] as const;
export type TransferCode = (typeof transferCodes)[number];

/** An account's four running totals, as Postgres keeps them. */
export interface AccountTotals {
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
}

export const balanceAmountsSchema = z.object({
  pending: z.number().int().describe('held, not yet earned (minor units)'),
  posted: z.number().int(),
  available: z.number().int().describe('posted, less what pending transfers would take out'),
});
export type BalanceAmounts = z.infer<typeof balanceAmountsSchema>;

/** Totals read in the account's normal direction: what a payable owes, what an expense has cost. */
export function balanceAmounts(normal: 'debit' | 'credit', totals: AccountTotals): BalanceAmounts {
  const debits = { pending: totals.debitsPending, posted: totals.debitsPosted };
  const credits = { pending: totals.creditsPending, posted: totals.creditsPosted };
  const [plus, minus] = normal === 'credit' ? [credits, debits] : [debits, credits];
  const posted = plus.posted - minus.posted;
  return { pending: plus.pending - minus.pending, posted, available: posted - minus.pending };
}

export const balanceSchema = z.object({
  accountId: z.string(),
  owner: z.string().describe('a participant id, or "program:<participant id>" for the program\'s expense on that participant\'s rewards'),
  kind: z.enum(accountKinds),
  programId: z.string(),
  currency: z.string(),
  ...balanceAmountsSchema.shape,
});
export type Balance = z.infer<typeof balanceSchema>;

export const transferSchema = z.object({
  transferId: z.string(),
  phase: z.enum(transferPhases),
  code: z.enum(transferCodes),
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

export const movementPurposes = ['reward', 'void', 'payout', 'clawback'] as const;
export type MovementPurpose = (typeof movementPurposes)[number];

/** What a transfer was for, as a statement names it. */
export function movementPurpose(code: TransferCode, phase: TransferPhase): MovementPurpose {
  switch (code) {
    case 'reward_earned':
      return phase === 'void' ? 'void' : 'reward';
    case 'reward_fulfilled':
      return 'payout';
    case 'reward_reversed':
      return 'clawback';
  }
}

export const movementSchema = z.object({
  at: z.iso.datetime().describe('when the transfer was applied to the account'),
  transferId: z.string(),
  purpose: z.enum(movementPurposes).describe('reward (held, then earned), void (a held reward released), payout, clawback'),
  phase: z.enum(transferPhases).describe('pending: the reward was held; post: it was earned'),
  referralId: z.string().nullable(),
  rewardId: z.string().nullable(),
  pending: z.number().int().describe('change to the pending balance (minor units, signed)'),
  posted: z.number().int().describe('change to the posted balance (minor units, signed)'),
  balance: balanceAmountsSchema.describe('the balance just after this movement'),
});
export type Movement = z.infer<typeof movementSchema>;

export const accountStatementSchema = z.object({
  accountId: z.string(),
  kind: z.enum(accountKinds),
  currency: z.string(),
  opening: balanceAmountsSchema.describe('the balance before `from`'),
  movements: z.array(movementSchema),
  closing: balanceAmountsSchema.describe('the balance before `to`: opening plus every movement'),
});
export type AccountStatement = z.infer<typeof accountStatementSchema>;

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
