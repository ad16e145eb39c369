import type { Response } from 'express';
import { z } from 'zod';
import { listBalances, listTransfers, summarize, transferBatches } from '../../db/ledger-reports.ts';
import { participantStatements } from '../../db/ledger-statements.ts';
import { findParticipantById } from '../../db/participants.ts';
import { accountStatementSchema, balanceSchema, programSummarySchema, type Transfer, transferSchema } from '../../domain/ledger.ts';
import { currencySchema } from '../../domain/money.ts';
import { programIdSchema } from '../../domain/program.ts';
import { textSchema } from '../../domain/text.ts';
import { timestampSchema } from '../../domain/timestamp.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound, unprocessable } from '../errors.ts';
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
] as const satisfies (keyof Transfer)[];

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// A transfer's sequence number; at most 18 digits, far inside a bigint.
const cursorSchema = z.string().regex(/^(?:0|[1-9][0-9]{0,17})$/, 'expected the nextCursor of a previous page');
const participantIdSchema = textSchema({ max: 255 });

/**
 * Writes the rows as they come, waiting whenever the client reads slower than the database answers,
 * so an export of any size holds one batch in memory. A client that goes away stops the export.
 */
async function streamCsv(res: Response, batches: AsyncGenerator<Transfer[]>): Promise<void> {
  res.status(200).type('text/csv').set('Content-Disposition', 'attachment; filename="transfers.csv"');
  res.write(`${CSV_COLUMNS.join(',')}\n`);
  for await (const batch of batches) {
    if (res.destroyed) return;
    const lines = batch.map((transfer) => `${CSV_COLUMNS.map((column) => csvField(transfer[column])).join(',')}\n`).join('');
    if (!res.write(lines)) await drained(res);
  }
  res.end();
}

/** Resolves once the client has taken what was written, or has gone away. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function ledgerRoutes({ db, log }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ledger/balances',
      summary: 'Balances per ledger account, now or as they stood at a past time (asOf)',
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({
        programId: programIdSchema.optional(),
        participantId: participantIdSchema.optional(),
        currency: currencySchema.optional(),
        asOf: timestampSchema.optional().describe('the balances as they stood at this time'),
      }),
      responses: { 200: { description: 'Balances', schema: z.object({ data: z.array(balanceSchema) }) } },
      async handle({ query }) {
        return { status: 200, body: { data: await listBalances(db, query) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/transfers',
      summary:
        'The transfer journal, oldest first: JSON in pages (follow nextCursor), or with Accept: text/csv every matching transfer from the cursor on, streamed',
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
        200: {
          description: 'A page of transfers (JSON), or all of them (text/csv)',
          schema: z.object({ data: z.array(transferSchema), nextCursor: z.string().nullable() }),
        },
      },
      async handle({ query: { cursor, limit, ...filter }, req, res }) {
        if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') {
          const page = await listTransfers(db, { ...filter, after: cursor, limit });
          return { status: 200, body: { data: page.transfers, nextCursor: page.nextCursor } };
        }
        try {
          await streamCsv(res, transferBatches(db, { ...filter, after: cursor }));
        } catch (error) {
          // The status line has gone out: all that is left is to cut the response short, so the
          // client sees a broken download rather than a file that looks complete.
          log.error({ err: error }, 'transfer export failed part-way');
          res.destroy(error instanceof Error ? error : undefined);
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/summary',
      summary: "A program's totals per currency, now or as they stood at asOf: pending liability, earned, fulfilled, still owed, voided and reversed",
      tag: 'Ledger',
      access: ['finance'],
      query: z.strictObject({ programId: programIdSchema, asOf: timestampSchema.optional().describe('the totals as they stood at this time') }),
      responses: {
        200: {
          description: 'Totals',
          schema: z.object({
            programId: z.string(),
            asOf: z.string().nullable(),
            totals: z.array(programSummarySchema),
          }),
        },
      },
      async handle({ query: { programId, asOf } }) {
        return { status: 200, body: { programId, asOf: asOf ?? null, totals: await summarize(db, programId, asOf) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/statements/:participantId',
      summary:
        "A participant's statement per account (one per currency): the opening balance, every movement (reward, void, payout, clawback, with its referral) and the closing balance",
      tag: 'Ledger',
      access: ['finance'],
      params: z.object({ participantId: participantIdSchema }),
      query: z.strictObject({
        from: timestampSchema.optional().describe('start of the period (inclusive); the beginning of the ledger when left out'),
        to: timestampSchema.optional().describe('end of the period (exclusive); now when left out'),
        currency: currencySchema.optional(),
      }),
      responses: {
        200: {
          description: 'The statement',
          schema: z.object({
            participantId: z.string(),
            programId: z.string(),
            from: z.iso.datetime(),
            to: z.iso.datetime(),
            statements: z.array(accountStatementSchema),
          }),
        },
        404: { description: 'No such participant' },
        422: { description: 'The period is empty: from is not earlier than to' },
      },
      async handle({ params: { participantId }, query }) {
        const from = new Date(query.from ?? 0).toISOString();
        const to = new Date(query.to ?? Date.now()).toISOString();
        if (from >= to) throw unprocessable('the period is empty', [{ path: 'query.to', message: 'must be later than from' }]);
        const participant = await findParticipantById(db, participantId);
        if (!participant) throw notFound(`no participant "${participantId}"`);
        const statements = await participantStatements(db, participantId, { from, to, currency: query.currency });
        return { status: 200, body: { participantId, programId: participant.programId, from, to, statements } };
      },
    }),
  ];
}
