// A route is declared once, with zod schemas for what it accepts and returns; the same declaration
// validates requests, answers them, and describes them in /openapi.json.
import express, { type Request, type Response, type Router } from 'express';
import type { ZodType, z } from 'zod';
import type { ApiKey, Scope } from '../domain/api-key.ts';
import { isSemanticIssue } from '../domain/semantic-issue.ts';
import { ApiError, badRequest, type FieldError, unprocessable } from './errors.ts';
import { clientNetwork, type RateLimits } from './rate-limits.ts';

/** The caller, as their API key describes them. */
export type Principal = Pick<ApiKey, 'keyId' | 'name' | 'scopes'>;

export interface Authorizer {
  /** Resolves the caller's key and checks it holds one of the scopes (admin holds them all). */
  authorize(req: Request, allowed: Scope[]): Promise<Principal>;
}

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  contentType?: string;
  /** Other media types the same status may be answered with, by what the client accepts. */
  alsoAs?: Record<string, ZodType>;
}

/** For routes that need Temporal (and some, a worker) to answer. */
export const temporalUnavailable: ResponseSpec = { description: 'Temporal, or a worker, did not answer in time; try again after Retry-After' };

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Empty = Record<string, never>;

export interface RouteInput<P, Q, B, H = Empty> {
  params: P;
  query: Q;
  body: B;
  /** The headers the route declares, by their lowercase names. */
  headers: H;
  principal: Principal | null;
  req: Request;
  res: Response;
}

export interface RouteSpec<
  P extends ZodType = ZodType<Empty>,
  Q extends ZodType = ZodType<Empty>,
  B extends ZodType = ZodType<undefined>,
  H extends ZodType = ZodType<Empty>,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  /** Scopes that may call the route, or "public" for the unauthenticated link routes. */
  access: Scope[] | 'public';
  params?: P;
  query?: Q;
  body?: B;
  /** Headers the route reads and keeps (a user agent it stores), by lowercase name: checked like any input. */
  headers?: H;
  bodyLimit?: string;
  /** A public route limited per client network (authenticated routes are limited per API key). */
  limitedPerNetwork?: boolean;
  /** A body taken as raw bytes, for routes that verify a signature over exactly what was sent. */
  rawBody?: { limit: string; description: string; signatureHeader: string };
  responses: Record<number, ResponseSpec>;
  /** Returns the reply, or nothing when it wrote the response itself (a redirect, a page, a CSV file). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that writes its own response returns nothing at all
  handle(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>, z.output<H>>): Promise<Reply | void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of routes holds specs of many shapes, each checked where it is defined
export type AnyRoute = RouteSpec<any, any, any, any>;

export function defineRoute<
  P extends ZodType = ZodType<Empty>,
  Q extends ZodType = ZodType<Empty>,
  B extends ZodType = ZodType<undefined>,
  H extends ZodType = ZodType<Empty>,
>(spec: RouteSpec<P, Q, B, H>): RouteSpec<P, Q, B, H> {
  return spec;
}

export function fieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path.map(String)].join('.'), message: issue.message }));
}

/**
 * 400 for a request that breaks the schema /openapi.json publishes; 422 for one that fits it but whose
 * values contradict each other or the moment (domain/semantic-issue.ts), which no schema can state.
 */
function parse<T extends ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return {} as z.output<T>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = fieldErrors(result.error, where === 'body' ? [] : [where]);
    if (result.error.issues.every(isSemanticIssue)) throw unprocessable(`the ${where} is well formed, but its values cannot be taken`, errors);
    throw badRequest(`the ${where} is not valid`, errors);
  }
  return result.data;
}

function requireJson(req: Request): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    throw new ApiError(415, 'unsupported_media_type', 'Unsupported media type', 'send the body as application/json');
  }
}

const methodNames = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE' } as const;

/** The methods a path answers, as an Allow header lists them. */
function allowedMethods(routes: AnyRoute[], path: string): string {
  const methods: string[] = routes.filter((route) => route.path === path).map((route) => methodNames[route.method]);
  if (methods.includes('GET')) methods.push('HEAD');
  return [...methods, 'OPTIONS'].join(', ');
}

export function mountRoutes(router: Router, routes: AnyRoute[], authorizer: Authorizer, limits: RateLimits): void {
  for (const route of routes) {
    const handlers: express.RequestHandler[] = [];
    if (route.access !== 'public') {
      const allowed = route.access;
      handlers.push(async (req, res, next) => {
        const principal = await authorizer.authorize(req, allowed);
        await limits.apiKey.consume(principal.keyId);
        res.locals.principal = principal;
        next();
      });
    }
    if (route.limitedPerNetwork) {
      handlers.push(async (req, _res, next) => {
        await limits.link.consume(clientNetwork(req.ip));
        next();
      });
    }
    if (route.body) {
      handlers.push((req, _res, next) => {
        requireJson(req);
        next();
      });
      handlers.push(express.json({ limit: route.bodyLimit ?? '64kb', strict: false }));
    }
    if (route.rawBody) handlers.push(express.raw({ type: () => true, limit: route.rawBody.limit }));
    handlers.push(async (req, res) => {
      const reply = await route.handle({
        params: parse(route.params, req.params, 'path'),
        query: parse(route.query, req.query, 'query'),
        body: route.body ? parse(route.body, req.body, 'body') : undefined,
        headers: parse(route.headers, req.headers, 'header'),
        principal: (res.locals.principal as Principal | undefined) ?? null,
        req,
        res,
      });
      if (!reply) return;
      res.status(reply.status).set(reply.headers ?? {});
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    });
    router[route.method](route.path, ...handlers);
  }
  // Every other method on a known path: OPTIONS says which are allowed, the rest are refused with 405.
  for (const path of new Set(routes.map((route) => route.path))) {
    const allow = allowedMethods(routes, path);
    router.all(path, (req, res) => {
      res.set('Allow', allow);
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
      throw new ApiError(405, 'method_not_allowed', 'Method not allowed', `${req.method} is not allowed on ${path}; use ${allow}`, {
        headers: { Allow: allow },
      });
    });
  }
}
