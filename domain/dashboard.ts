// What the dashboard shows of a program: its funnel day by day, where its referrals stand, what it
// owes, its review queue, its top referrers, and the latest reconciliation run.
import { z } from 'zod';
import { programSummarySchema } from './ledger.ts';
import { findingKinds, findingSchema, runStatuses } from './reconciliation.ts';
import { referralStatusSchema } from './referral.ts';

export const funnelDaySchema = z.object({
  day: z.iso.date(),
  clicks: z.number().int(),
  referrals: z.number().int(),
  conversions: z.number().int().describe('qualifying conversions received'),
  rewards: z.number().int().describe('referrer rewards earned (held rewards that became payable)'),
});

export const topReferrerSchema = z.object({
  participantId: z.string(),
  externalId: z.string(),
  name: z.string().nullable(),
  referrals: z.number().int(),
  rewarded: z.number().int(),
  earned: z.number().int().describe('rewards earned, in minor units of the program currency'),
});

export const programDashboardSchema = z.object({
  programId: z.string(),
  name: z.string(),
  currency: z.string(),
  funnel: z.array(funnelDaySchema),
  statuses: z.array(z.object({ status: referralStatusSchema, count: z.number().int() })),
  liabilities: z.array(programSummarySchema),
  reviewQueue: z.object({ size: z.number().int(), oldestSince: z.iso.datetime().nullable() }),
  needsAttention: z.number().int(),
  topReferrers: z.array(topReferrerSchema),
});
export type ProgramDashboard = z.infer<typeof programDashboardSchema>;

export const reconciliationGlanceSchema = z.object({
  runId: z.string(),
  status: z.enum(runStatuses),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  checked: z.number().int(),
  unrepaired: z.partialRecord(z.enum(findingKinds), z.number().int()),
  findings: z.array(findingSchema).describe('the first few, in the order found'),
  findingCount: z.number().int(),
});

export const dashboardSchema = z.object({
  programs: z.array(z.object({ programId: z.string(), name: z.string() })),
  program: programDashboardSchema.nullable().describe('the program asked for, or the first one; null when there is none'),
  reconciliation: reconciliationGlanceSchema.nullable(),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
