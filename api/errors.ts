// The API's few error kinds, each with a stable code, rendered as RFC 9457 problem details in one place.
import type { Server } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { UnstorableValueError } from '../db/query-guard.ts';

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  /** Members of the problem beyond the standard ones, for a client to act on (e.g. "candidates"). */
  readonly members: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; members?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.members = options.members ?? {};
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new ApiError(400, 'invalid_request', 'Invalid request', detail, errors ? { errors } : {});
export const unauthorized = (detail: string) => new ApiError(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (detail: string) => new ApiError(403, 'forbidden', 'Forbidden', detail);
export const notFound = (detail: string) => new ApiError(404, 'not_found', 'Not found', detail);
export const conflict = (detail: string, members?: Record<string, unknown>) => new ApiError(409, 'conflict', 'Conflict', detail, members ? { members } : {});
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new ApiError(422, 'unprocessable', 'Unprocessable request', detail, errors ? { errors } : {});
export const unavailable = (detail: string) => new ApiError(503, 'unavailable', 'Service unavailable', detail, { headers: { 'Retry-After': '5' } });

export const PROBLEM_TYPE_PREFIX = 'urn:referral-engine:problem:';

export const problemSchema = z.object({
  type: z.string().describe(`${PROBLEM_TYPE_PREFIX}<code>`),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export function problemBody(error: ApiError) {
  return {
    ...error.members,
    type: `${PROBLEM_TYPE_PREFIX}${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: Temporal is down or too slow, which a retry may outlast. */
function isTemporalUnreachable(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return (error as Error | null)?.name === 'ServiceError' && (code === 14 || code === 4);
}

/**
 * Body-parser failures arrive as errors with a `type`, the router's (a path it cannot percent-decode)
 * with a 4xx `status`; everything unknown is a 500 that reveals nothing.
 */
function asApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (isTemporalUnreachable(error)) return unavailable('Temporal is not answering; try again shortly');
  // A value the request schemas should have refused: still the request's fault, and nothing was written.
  if (error instanceof UnstorableValueError) return badRequest(`the request holds a value that cannot be stored: ${error.message}`);
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new ApiError(413, 'payload_too_large', 'Payload too large', 'the request body is larger than this endpoint accepts');
  if (type === 'entity.parse.failed') return badRequest('the request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new ApiError(415, 'unsupported_media_type', 'Unsupported media type', 'send UTF-8 JSON');
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 400) return badRequest('the request URL is not valid: it has a malformed percent-encoding');
  return null;
}

/**
 * Requests Node refuses before Express sees them (headers over 16 KiB, a NUL in a header, a request
 * line that is not HTTP) are answered with problem details too, not Node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const problem =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError(431, 'headers_too_large', 'Request header fields too large', 'the request headers are larger than the server reads (16 KiB)')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new ApiError(408, 'request_timeout', 'Request timeout', 'the request took too long to arrive')
          : badRequest('the request is not well-formed HTTP');
    const body = JSON.stringify(problemBody(problem));
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = asApiError(error);
    const problem = known ?? new ApiError(500, 'internal', 'Internal error', 'something went wrong on our side; it has been logged');
    if (!known) log.error({ err: error, method: req.method, route: req.route?.path }, 'request failed');
    res
      .status(problem.status)
      .set(problem.headers)
      .type('application/problem+json')
      .send(JSON.stringify(problemBody(problem)));
  };
}
