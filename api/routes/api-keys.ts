import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { type KeyAuthorizer, generateApiKey, hashKey } from '../auth.ts';
import { notFound } from '../errors.ts';
import { defineRoute, scopes } from '../route.ts';

const keySchema = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});

type KeyRow = { id: string; name: string; scopes: string[]; created_at: Date; revoked_at: Date | null };
const view = (row: KeyRow) => ({
  keyId: row.id,
  name: row.name,
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

export function apiKeyRoutes({ db }: ApiDeps, authorizer: KeyAuthorizer) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key. The key itself is in this answer only; store it then.',
      tag: 'API keys',
      access: ['admin'],
      body: z.strictObject({ name: z.string().min(1).max(200), scopes: z.array(z.enum(scopes)).min(1) }),
      responses: { 201: { description: 'The new key', schema: keySchema.extend({ key: z.string() }) } },
      async handle({ body }) {
        const key = generateApiKey();
        const row = await db
          .insertInto('api_keys')
          .values({ id: `key_${randomUUID().replaceAll('-', '')}`, name: body.name, scopes: [...new Set(body.scopes)], key_hash: hashKey(key).toString('hex') })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { status: 201, body: { ...view(row), key } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/api-keys',
      summary: 'List API keys (never the keys themselves)',
      tag: 'API keys',
      access: ['admin'],
      responses: { 200: { description: 'The keys', schema: z.object({ data: z.array(keySchema) }) } },
      async handle() {
        const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
        return { status: 200, body: { data: rows.map(view) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/api-keys/:keyId',
      summary: 'Revoke an API key',
      tag: 'API keys',
      access: ['admin'],
      params: z.object({ keyId: z.string().min(1).max(64) }),
      responses: { 200: { description: 'The revoked key', schema: keySchema }, 404: { description: 'No such key' } },
      async handle({ params: { keyId } }) {
        const row = await db
          .updateTable('api_keys')
          .set({ revoked_at: new Date() })
          .where('id', '=', keyId)
          .where('revoked_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw notFound(`no active API key "${keyId}"`);
        authorizer.forget(keyId);
        return { status: 200, body: view(row) };
      },
    }),
  ];
}
