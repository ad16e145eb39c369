// The Express ingress: turns HTTP into Temporal calls and database reads, and holds no state of its own.
import express from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { keyAuthorizer } from './auth.ts';
import { dashboardAssets } from './dashboard/page.ts';
import type { ApiDeps } from './deps.ts';
import { docsAssets } from './docs.ts';
import { errorHandler, notFound } from './errors.ts';
import { reconciliationMetrics } from './reconciliation-metrics.ts';
import { type AnyRoute, mountRoutes } from './route.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { conversionRoutes } from './routes/conversions.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { linkRoutes } from './routes/links.ts';
import { participantRoutes } from './routes/participants.ts';
import { programRoutes } from './routes/programs.ts';
import { reconciliationRoutes } from './routes/reconciliation.ts';
import { referralRoutes } from './routes/referrals.ts';
import { systemRoutes } from './routes/system.ts';

export interface AppOptions {
  trustProxy?: boolean;
}

function httpMetrics(registry: Registry): express.RequestHandler {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req, res, next) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      // The route template, never the URL: codes and ids stay out of metric labels.
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      stop({ method: req.method, route });
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export function createApp(deps: ApiDeps, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  app.use(httpMetrics(metrics));
  reconciliationMetrics(metrics, deps.db);

  const authorizer = keyAuthorizer(deps.db, deps.adminApiKey);
  const routes: AnyRoute[] = [
    ...programRoutes(deps),
    ...participantRoutes(deps),
    ...linkRoutes(deps),
    ...referralRoutes(deps),
    ...conversionRoutes(deps),
    ...ledgerRoutes(deps),
    ...reconciliationRoutes(deps),
    ...dashboardRoutes(deps),
    ...apiKeyRoutes(deps, authorizer),
  ];
  routes.push(...systemRoutes(deps, metrics, () => routes));
  mountRoutes(app, routes, authorizer);
  // The files /docs and /dashboard load; not part of the API, so not in /openapi.json.
  app.use('/docs/assets', docsAssets());
  app.use('/dashboard/assets', dashboardAssets());

  app.use((req, _res, next) => next(notFound(`no endpoint ${req.method} ${req.path}; see /docs`)));
  app.use(errorHandler(deps.log));
  return app;
}
