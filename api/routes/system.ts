import type { Registry } from 'prom-client';
import { z } from 'zod';
import { pingDb } from '../../db/connect.ts';
import type { ApiDeps } from '../deps.ts';
import { docsPage, selfServedPagePolicy } from '../docs.ts';
import { openApiDocument } from '../openapi.ts';
import { type AnyRoute, defineRoute } from '../route.ts';

/** 'ok' or 'unreachable'; why goes to the log, since /readyz is public. */
async function healthOf(name: string, check: () => Promise<unknown>, deps: ApiDeps): Promise<'ok' | 'unreachable'> {
  try {
    await check();
    return 'ok';
  } catch (error) {
    deps.log.warn({ err: error, dependency: name }, 'readiness check failed');
    return 'unreachable';
  }
}

/** The system routes; `documented` is every route of the API, these included, for /openapi.json. */
export function systemRoutes(deps: ApiDeps, metrics: Registry, documented: () => AnyRoute[]) {
  const readiness = z.object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: z.enum(['ok', 'unreachable']), temporal: z.enum(['ok', 'unreachable']) }),
  });
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      tag: 'System',
      access: 'public',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
      async handle() {
        return { status: 200, body: { status: 'ok' } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'The database and Temporal are reachable',
      tag: 'System',
      access: 'public',
      responses: { 200: { description: 'Ready', schema: readiness }, 503: { description: 'Not ready', schema: readiness, contentType: 'application/json' } },
      async handle() {
        const [database, temporal] = await Promise.all([
          healthOf('database', () => pingDb(deps.db), deps),
          healthOf('temporal', () => deps.temporal.connection.withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({})), deps),
        ]);
        const ready = database === 'ok' && temporal === 'ok';
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready', checks: { database, temporal } } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics; scrape with a key of scope ops (Prometheus: authorization.credentials)',
      tag: 'System',
      access: ['ops'],
      responses: { 200: { description: 'Metrics in the Prometheus text format', contentType: 'text/plain', schema: z.string() } },
      async handle({ res }) {
        res.type(metrics.contentType).send(await metrics.metrics());
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API, described in OpenAPI 3.1',
      tag: 'System',
      access: 'public',
      responses: { 200: { description: 'The OpenAPI document' } },
      async handle() {
        return { status: 200, body: openApiDocument(documented(), deps.publicBaseUrl) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      summary: 'This API, as a page to read and try out (Swagger UI over /openapi.json)',
      tag: 'System',
      access: 'public',
      responses: { 200: { description: 'HTML', contentType: 'text/html', schema: z.string() } },
      async handle({ res }) {
        res.set('content-security-policy', selfServedPagePolicy).type('html').send(docsPage);
      },
    }),
  ];
}
