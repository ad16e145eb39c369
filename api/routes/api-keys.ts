import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../db/api-keys.ts';
import { apiKeySchema, scopeSchema } from '../../domain/api-key.ts';
import { textSchema } from '../../domain/text.ts';
import { generateApiKey, hashKey, type KeyAuthorizer } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { defineRoute } from '../route.ts';

export function apiKeyRoutes({ db }: ApiDeps, authorizer: KeyAuthorizer) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key. The key itself is in this answer only; store it then.',
      tag: 'API keys',
      access: ['admin'],
      body: z.strictObject({ name: textSchema({ max: 200 }), scopes: z.array(scopeSchema).min(1) }),
      responses: { 201: { description: 'The new key', schema: apiKeySchema.extend({ key: z.string() }) } },
      async handle({ body }) {
        const key = generateApiKey();
        const created = await createApiKey(db, { name: body.name, scopes: [...new Set(body.scopes)], keyHash: hashKey(key).toString('hex') });
        return { status: 201, body: { ...created, key } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/api-keys',
      summary: 'List API keys (never the keys themselves)',
      tag: 'API keys',
      access: ['admin'],
      responses: { 200: { description: 'The keys', schema: z.object({ data: z.array(apiKeySchema) }) } },
      async handle() {
        return { status: 200, body: { data: await listApiKeys(db) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/api-keys/:keyId',
      summary: 'Revoke an API key',
      tag: 'API keys',
      access: ['admin'],
      params: z.object({ keyId: textSchema({ max: 64 }) }),
      responses: { 200: { description: 'The revoked key', schema: apiKeySchema }, 404: { description: 'No such key' } },
      async handle({ params: { keyId } }) {
        const revoked = await revokeApiKey(db, keyId);
        if (!revoked) throw notFound(`no active API key "${keyId}"`);
        authorizer.forget(keyId);
        return { status: 200, body: revoked };
      },
    }),
  ];
}
