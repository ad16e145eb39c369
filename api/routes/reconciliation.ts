import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { closeRun, findRun, latestRun, openRun } from '../../db/reconciliation.ts';
import { reconciliationRunSchema } from '../../domain/reconciliation.ts';
import { textSchema } from '../../domain/text.ts';
import type { ReconciliationInput } from '../../workflows/reconciliation.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { defineRoute, temporalUnavailable } from '../route.ts';

export function reconciliationRoutes(deps: ApiDeps) {
  const { db } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/reconciliation/runs',
      summary: 'Start a reconciliation run now: the ledger against Stripe, and the ledger against its own invariants (a daily one runs on a Temporal Schedule)',
      tag: 'Reconciliation',
      access: ['finance'],
      responses: {
        202: { description: 'Started; read it at GET /v1/reconciliation/runs/{runId}', schema: z.object({ runId: z.string() }) },
        503: temporalUnavailable,
      },
      async handle() {
        const runId = `recon_${randomBytes(12).toString('hex')}`;
        // Opened here first, so the run can be read the moment its id is answered.
        await openRun(db, runId, 'manual');
        const input: ReconciliationInput = { trigger: 'manual' };
        try {
          await deps.temporal.workflow.start('reconciliationWorkflow', {
            workflowId: runId,
            taskQueue: deps.taskQueue,
            args: [input],
            staticSummary: 'Reconciliation run, started on demand',
          });
        } catch (error) {
          await closeRun(db, runId, { status: 'failed', error: 'the run could not be started: Temporal did not take it' });
          throw error;
        }
        return { status: 202, body: { runId }, headers: { Location: `/v1/reconciliation/runs/${runId}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliation/runs/latest',
      summary: 'The most recently started reconciliation run, with its findings',
      tag: 'Reconciliation',
      access: ['finance'],
      responses: { 200: { description: 'The run', schema: reconciliationRunSchema }, 404: { description: 'No run yet' } },
      async handle() {
        const run = await latestRun(db);
        if (!run) throw notFound('no reconciliation has run yet; start one with POST /v1/reconciliation/runs');
        return { status: 200, body: run };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliation/runs/:runId',
      summary: 'A reconciliation run, with its findings',
      tag: 'Reconciliation',
      access: ['finance'],
      params: z.object({ runId: textSchema({ max: 200 }) }),
      responses: { 200: { description: 'The run', schema: reconciliationRunSchema }, 404: { description: 'No such run' } },
      async handle({ params: { runId } }) {
        const run = await findRun(db, runId);
        if (!run) throw notFound(`no reconciliation run "${runId}"`);
        return { status: 200, body: run };
      },
    }),
  ];
}
