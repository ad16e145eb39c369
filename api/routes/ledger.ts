import { z } from 'zod';
import { listBalances, listTransfers, summarize } from '../../db/ledger-reports.ts';
import { currencySchema } from '../../domain/money.ts';
import { programIdSchema } from '../../domain/program.ts';
import type { ApiDeps } from '../deps.ts';
import { defineRoute } from '../route.ts';

export const balanceSchema = z.object({
  accountId: z.string(),
  owner: z.string().describe('a participant id, or "program" for the program\'s own accounts'),
  kind: z.enum(['rewards_expense', 'rewards_payable', 'stripe_credits']),
  programId: z.string(),
  currency: z.string(),
  pending: z.number().int().describe('held, not yet earned (minor units)'),
  posted: z.number().int(),
  available: z.number().int().describe('posted, less what pending transfers would take out'),
});

const transferSchema = z.object({
  transferId: z.string(),
  phase: z.enum(['single', 'pending', 'post', 'void']),
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

const CSV_COLUMNS = ['transferId', 'createdAt', 'programId', 'participantId', 'referralId', 'rewardId', 'code', 'phase', 'amount', 'currency', 'debitAccountId', 'creditAccountId', 'pendingId', 'key'] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const cursorSchema = z.string().regex(/^\d+$/, 'expected the nextCursor of a previous page');

export function ledgerRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ledger/balances',
      summary: 'Balances per ledger account',
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({ programId: programIdSchema.optional(), participantId: z.string().optional(), currency: currencySchema.optional() }),
      responses: { 200: { description: 'Balances', schema: z.object({ data: z.array(balanceSchema) }) } },
      async handle({ query }) {
        return { status: 200, body: { data: await listBalances(db, query) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/transfers',
      summary: 'The transfer journal, oldest first, as JSON pages or as CSV (Accept: text/csv)',
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({
        programId: programIdSchema.optional(),
        participantId: z.string().optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        cursor: cursorSchema.optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: {
        200: { description: 'A page of transfers', schema: z.object({ data: z.array(transferSchema), nextCursor: z.string().nullable() }) },
      },
      async handle({ query, req, res }) {
        const page = await listTransfers(db, { ...query, after: query.cursor });
        if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') return { status: 200, body: { data: page.transfers, nextCursor: page.nextCursor } };
        const lines = [CSV_COLUMNS.join(','), ...page.transfers.map((transfer) => CSV_COLUMNS.map((column) => csvField(transfer[column])).join(','))];
        res.status(200).type('text/csv').set(page.nextCursor ? { 'Next-Cursor': page.nextCursor } : {}).send(`${lines.join('\n')}\n`);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/summary',
      summary: "A program's totals per currency: pending liability, earned, fulfilled, still owed, voided and reversed",
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({ programId: programIdSchema }),
      responses: {
        200: {
          description: 'Totals',
          schema: z.object({
            programId: z.string(),
            totals: z.array(
              z.object({
                currency: z.string(),
                pendingLiability: z.number().int(),
                earned: z.number().int(),
                fulfilled: z.number().int(),
                owed: z.number().int(),
                voided: z.number().int(),
                reversed: z.number().int(),
              }),
            ),
          }),
        },
      },
      async handle({ query: { programId } }) {
        return { status: 200, body: { programId, totals: await summarize(db, programId) } };
      },
    }),
  ];
}
