import { z } from 'zod';
import { listProgramHeadings, programDashboard } from '../../db/dashboard.ts';
import { latestRun } from '../../db/reconciliation.ts';
import { dashboardSchema } from '../../domain/dashboard.ts';
import { programIdSchema } from '../../domain/program.ts';
import type { Finding } from '../../domain/reconciliation.ts';
import { dashboardPage } from '../dashboard/page.ts';
import type { ApiDeps } from '../deps.ts';
import { selfServedPagePolicy } from '../docs.ts';
import { notFound } from '../errors.ts';
import { pageLimitSchema } from '../page-cursor.ts';
import { defineRoute } from '../route.ts';

const FINDINGS_SHOWN = 5;

function unrepairedByKind(findings: Finding[]): Partial<Record<Finding['kind'], number>> {
  const counts: Partial<Record<Finding['kind'], number>> = {};
  for (const finding of findings) if (!finding.repaired) counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
  return counts;
}

export function dashboardRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/dashboard',
      summary: 'The finance and growth dashboard (a page; it shows nothing until signed in with a finance or ops key)',
      tag: 'Dashboard',
      access: 'public',
      responses: { 200: { description: 'HTML', contentType: 'text/html', schema: z.string() } },
      async handle({ res }) {
        res.set({ 'content-security-policy': selfServedPagePolicy, 'referrer-policy': 'no-referrer' }).type('html').send(dashboardPage);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dashboard',
      summary:
        'What the dashboard shows of a program: its funnel per day, referrals by status, liabilities, review queue, top referrers, and the latest reconciliation run',
      tag: 'Dashboard',
      access: ['finance', 'ops'],
      query: z.strictObject({
        programId: programIdSchema.optional().describe('the program to show; the first one when left out'),
        days: pageLimitSchema(366, 30).describe('how many days of funnel, up to today (UTC)'),
      }),
      responses: { 200: { description: 'The dashboard', schema: dashboardSchema }, 404: { description: 'No such program' } },
      async handle({ query }) {
        const programs = await listProgramHeadings(db);
        const heading = query.programId ? programs.find((program) => program.programId === query.programId) : programs[0];
        if (query.programId && !heading) throw notFound(`no program "${query.programId}"`);
        const [program, run] = await Promise.all([heading ? programDashboard(db, heading, query.days) : null, latestRun(db)]);
        return {
          status: 200,
          body: {
            programs: programs.map(({ programId, name }) => ({ programId, name })),
            program,
            reconciliation: run && {
              runId: run.runId,
              status: run.status,
              startedAt: run.startedAt,
              finishedAt: run.finishedAt,
              checked: run.checked,
              unrepaired: unrepairedByKind(run.findings),
              findings: run.findings.slice(0, FINDINGS_SHOWN),
              findingCount: run.findings.length,
            },
          },
        };
      },
    }),
  ];
}
