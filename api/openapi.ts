// /openapi.json, generated from the same route declarations and zod schemas that serve requests.
import { type ZodType, z } from 'zod';
import { problemSchema } from './errors.ts';
import type { AnyRoute, ResponseSpec } from './route.ts';

/**
 * A pattern as ECMA-262, Python's re and Rust's regex all read it, since the fuzzers and validators
 * that read /openapi.json are often not JavaScript: \d becomes [0-9] and \w [A-Za-z0-9_] (elsewhere
 * they also match other scripts' digits and letters). What the pattern accepts under ECMA-262 is
 * unchanged.
 */
export function portablePattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      i++;
      if (next === 'd') out += inClass ? '0-9' : '[0-9]';
      else if (next === 'w') out += inClass ? 'A-Za-z0-9_' : '[A-Za-z0-9_]';
      else out += `\\${next}`;
    } else if (inClass) {
      if (char === ']') inClass = false;
      out += char;
    } else if (char === '[') {
      inClass = true;
      out += char;
    } else {
      out += char;
    }
  }
  return out;
}

function portable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(portable);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'pattern' && typeof value === 'string' ? portablePattern(value) : portable(value)]),
  );
}

function jsonSchema(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return portable(z.toJSONSchema(schema, { io, unrepresentable: 'any' })) as Record<string, unknown>;
}

function parameters(route: AnyRoute): unknown[] {
  const list: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
    ['header', route.headers],
  ] as const) {
    if (!schema) continue;
    const described = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(described.properties ?? {})) {
      list.push({ name, in: where, required: where === 'path' || (described.required ?? []).includes(name), schema: property });
    }
  }
  return list;
}

/** The answers every route of its kind can give, besides the ones it declares. */
function standardResponses(route: AnyRoute): Record<number, ResponseSpec> {
  const standard: Record<number, ResponseSpec> = {};
  if (route.body || route.params || route.query || route.headers) {
    standard[400] = { description: 'The request breaks this schema; `errors` says where' };
    standard[422] = { description: 'The request fits this schema, but its values contradict each other or cannot be taken; `errors` says where' };
  }
  if (route.access !== 'public') {
    standard[401] = { description: 'No API key, or one that is unknown or revoked' };
    standard[403] = { description: 'The API key lacks the scope' };
  }
  // Node refuses headers over 16 KiB before the route sees them.
  if (route.headers) standard[431] = { description: 'A header is larger than the server reads' };
  if (route.access !== 'public' || route.limitedPerNetwork) {
    standard[429] = {
      description:
        route.access === 'public' ? 'Too many requests from this network; try again after Retry-After' : 'Too many requests; try again after Retry-After',
    };
  }
  if (route.body) {
    standard[413] = { description: 'The body is too large' };
    standard[415] = { description: 'The body is not JSON' };
  }
  if (route.rawBody) standard[413] = { description: 'The body is too large' };
  return standard;
}

function operation(route: AnyRoute) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries({ ...standardResponses(route), ...route.responses })) {
    const contentType = response.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
    const schema = response.schema ?? (Number(status) >= 400 ? problemSchema : undefined);
    const content = Object.entries({ ...(schema ? { [contentType]: schema } : {}), ...response.alsoAs }).map(([type, body]) => [
      type,
      { schema: jsonSchema(body, 'output') },
    ]);
    responses[status] = { description: response.description, ...(content.length > 0 ? { content: Object.fromEntries(content) } : {}) };
  }
  return {
    summary: route.summary,
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : { 'x-scopes': route.access }),
    parameters: [
      ...parameters(route),
      ...(route.rawBody ? [{ name: route.rawBody.signatureHeader, in: 'header', required: true, schema: { type: 'string' } }] : []),
    ],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    ...(route.rawBody
      ? { requestBody: { required: true, description: route.rawBody.description, content: { 'application/json': { schema: { type: 'object' } } } } }
      : {}),
    responses,
  };
}

export function openApiDocument(routes: AnyRoute[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Referral engine',
      version: '1.0.0',
      description: 'Referral codes and links, attribution, conversions, fraud review, rewards and the ledger. Money is in integer minor units.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key; each operation lists the scopes it accepts in x-scopes (admin implies all).' },
      },
    },
    paths,
  };
}
