import { z } from 'zod';
import { listBalances, listTransfers, summarize } from '../../db/ledger-reports.ts';
import { balanceSchema, programSummarySchema, transferSchema } from '../../domain/ledger.ts';
import { currencySchema } from '../../domain/money.ts';
import { programIdSchema } from '../../domain/program.ts';
import { textSchema } from '../../domain/text.ts';
import { timestampSchema } from '../../domain/timestamp.ts';
import type { ApiDeps } from '../deps.ts';
import { pageLimitSchema } from '../page-cursor.ts';
import { defineRoute } from '../route.ts';

const CSV_COLUMNS = [
  'transferId',
  'createdAt',
  'programId',
  'participantId',
  'referralId',
  'rewardId',
  'code',
  'phase',
  'amount',
  'currency',
  'debitAccountId',
  'creditAccountId',
  'pendingId',
  'key',
] as const;

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// A transfer's sequence number; at most 18 digits, far inside a bigint.
const cursorSchema = z.string().regex(/^(?:0|[1-9][0-9]{0,17})$/, 'expected the nextCursor of a previous page');
const participantIdSchema = textSchema({ max: 255 });

export function ledgerRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ledger/balances',
      summary: 'Balances per ledger account',
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({ programId: programIdSchema.optional(), participantId: participantIdSchema.optional(), currency: currencySchema.optional() }),
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
        participantId: participantIdSchema.optional(),
        from: timestampSchema.optional(),
        to: timestampSchema.optional(),
        cursor: cursorSchema.optional(),
        limit: pageLimitSchema(1000, 100),
      }),
      responses: {
        200: { description: 'A page of transfers', schema: z.object({ data: z.array(transferSchema), nextCursor: z.string().nullable() }) },
      },
      async handle({ query, req, res }) {
        const page = await listTransfers(db, { ...query, after: query.cursor });
        if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') return { status: 200, body: { data: page.transfers, nextCursor: page.nextCursor } };
        const lines = [CSV_COLUMNS.join(','), ...page.transfers.map((transfer) => CSV_COLUMNS.map((column) => csvField(transfer[column])).join(','))];
        res
          .status(200)
          .type('text/csv')
          .set(page.nextCursor ? { 'Next-Cursor': page.nextCursor } : {})
          .send(`${lines.join('\n')}\n`);
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
            totals: z.array(programSummarySchema),
          }),
        },
      },
      async handle({ query: { programId } }) {
        return { status: 200, body: { programId, totals: await summarize(db, programId) } };
      },
    }),
  ];
}
