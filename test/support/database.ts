// Each test file gets a database of its own on the shared test cluster, migrated to the latest schema.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDb, type Db, migrateToLatest } from '../../db/connect.ts';

export interface TestDatabase {
  db: Db;
  url: string;
  close(): Promise<void>;
}

export function clusterUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is unset: run through jest, whose global setup starts Postgres');
  return url;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(clusterUrl());
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(clusterUrl());
  url.pathname = `/${name}`;
  const db = connectDb(url.toString());
  await migrateToLatest(db);
  return { db, url: url.toString(), close: () => db.destroy() };
}
