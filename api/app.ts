// The Express ingress: turns HTTP into Temporal calls and database reads, and holds no state of its own.
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { keyAuthorizer } from './auth.ts';
import { codecAuthorizer, codecCors } from './codec-access.ts';
import { dashboardAssetFiles } from './dashboard/page.ts';
import type { ApiDeps } from './deps.ts';
import { docsAssetFiles, pageAssets } from './docs.ts';
import { errorHandler, notFound } from './errors.ts';
import { rateLimits } from './rate-limits.ts';
import { reconciliationMetrics } from './reconciliation-metrics.ts';
import { type AnyRoute, mountRoutes } from './route.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { codecRoutes } from './routes/codec.ts';
import { conversionRoutes } from './routes/conversions.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { linkRoutes } from './routes/links.ts';
import { participantRoutes } from './routes/participants.ts';
import { programRoutes } from './routes/programs.ts';
import { reconciliationRoutes } from './routes/reconciliation.ts';
import { referralRoutes } from './routes/referrals.ts';
import { signInRoutes } from './routes/sign-ins.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhooks.ts';
import { systemRoutes } from './routes/system.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';

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

/**
 * Headers for every answer. An API answer is data, never a page: it may load nothing, run nothing and
 * be framed nowhere. The landing page, /docs and /dashboard, which are pages, set a policy of their own over this.
 */
function securityHeaders(deps: ApiDeps): express.RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only a deployment served over https can promise https for a year.
    strictTransportSecurity: deps.publicBaseUrl.startsWith('https:') ? { maxAge: 31_536_000 } : false,
  });
}

/** CORS: closed unless CORS_ALLOWED_ORIGINS names the origins whose pages may call the API with a key. */
function crossOrigin(deps: ApiDeps): express.RequestHandler | null {
  if (deps.corsOrigins.length === 0) return null;
  return cors({
    origin: deps.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'Next-Cursor'],
    maxAge: 600,
  });
}

export function createApp(deps: ApiDeps, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  app.use(httpMetrics(metrics));
  reconciliationMetrics(metrics, deps.db);
  app.use(securityHeaders(deps));
  const corsHandler = crossOrigin(deps);
  if (corsHandler) app.use(corsHandler);

  const limits = rateLimits(deps.db, deps.rateLimits);
  const authorizer = keyAuthorizer(deps.db, deps.adminApiKey, limits.authFailures);
  const routes: AnyRoute[] = [
    ...programRoutes(deps),
    ...participantRoutes(deps),
    ...signInRoutes(deps),
    ...linkRoutes(deps),
    ...referralRoutes(deps),
    ...conversionRoutes(deps),
    ...ledgerRoutes(deps),
    ...reconciliationRoutes(deps),
    ...dashboardRoutes(deps),
    ...apiKeyRoutes(deps, authorizer),
    ...webhookEndpointRoutes(deps),
    ...stripeWebhookRoutes(deps, limits.authFailures),
  ];
  // The codec is called from the Temporal Web UI's pages, so it has CORS and takes browser credentials.
  const codec = codecRoutes(deps);
  routes.push(...systemRoutes(deps, metrics, () => [...routes, ...codec.convert, codec.signIn]));
  mountRoutes(app, routes, authorizer, limits);
  app.use('/v1/codec', codecCors(deps.codecCorsOrigins));
  mountRoutes(app, codec.convert, codecAuthorizer(authorizer, { challenge: false }), limits);
  mountRoutes(app, [codec.signIn], codecAuthorizer(authorizer, { challenge: true }), limits);
  // The files /docs and /dashboard load; not part of the API, so not in /openapi.json.
  app.use('/docs/assets', pageAssets(docsAssetFiles));
  app.use('/dashboard/assets', pageAssets(dashboardAssetFiles));

  app.use((req, _res, next) => next(notFound(`no endpoint ${req.method} ${req.path}; see /docs`)));
  app.use(errorHandler(deps.log));
  return app;
}
