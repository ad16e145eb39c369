// API keys at rest: each is stored as the hex SHA-256 hash of the key, never the key itself.
import { randomUUID } from 'node:crypto';
import type { ApiKey, Scope } from '../domain/api-key.ts';
import type { Db } from './connect.ts';
import type { ApiKeyRow } from './schema.ts';

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  keyHash: string;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    keyId: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

export async function createApiKey(db: Db, key: NewApiKey): Promise<ApiKey> {
  const row = await db
    .insertInto('api_keys')
    .values({ id: `key_${randomUUID().replaceAll('-', '')}`, name: key.name, scopes: key.scopes, key_hash: key.keyHash })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toApiKey(row);
}

/** Every key, revoked ones included, oldest first. */
export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  return rows.map(toApiKey);
}

/** The key with this hash, unless it has been revoked. */
export async function findActiveApiKey(db: Db, keyHash: string): Promise<ApiKey | null> {
  const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst();
  return row ? toApiKey(row) : null;
}

/** Revokes an active key and returns it; null when there is no such key or it was already revoked. */
export async function revokeApiKey(db: Db, keyId: string): Promise<ApiKey | null> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? toApiKey(row) : null;
}
