// A production Temporal server for the benches (scripts/temporal-server.ts) in a Postgres cluster of
// its own, with a fresh database for each engine stack put beside it.
import path from 'node:path';
import pg from 'pg';
import type { RunningPostgres } from '../db/embedded-postgres.ts';
import { type RunningTemporalServer, startPostgresForTemporal, startTemporalServer } from '../scripts/temporal-server.ts';

export interface ProductionServer {
  postgres: RunningPostgres;
  temporal: RunningTemporalServer;
  /** A new, empty database for an engine stack, by URL. */
  engineDatabase(name: string): Promise<string>;
  /** The Temporal databases' size on disk, in MiB. */
  temporalMiB(): Promise<number>;
  stop(): Promise<void>;
}

export async function startProductionServer(dir: string, shards: number, log: (line: string) => void): Promise<ProductionServer> {
  const postgres = await startPostgresForTemporal(path.join(dir, 'postgres'), true);
  const temporal = await startTemporalServer({ dir: path.join(dir, 'temporal'), postgres, shards, log });
  const admin = new pg.Pool({ connectionString: postgres.url, max: 1 });
  return {
    postgres,
    temporal,
    async engineDatabase(name) {
      await admin.query(`create database ${name}`);
      const url = new URL(postgres.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async temporalMiB() {
      const { rows } = await admin.query<{ bytes: string }>('select sum(pg_database_size(datname)) as bytes from pg_database where datname = any($1)', [
        temporal.databases,
      ]);
      return Number(rows[0]?.bytes) / 2 ** 20;
    },
    async stop() {
      await admin.end();
      await temporal.stop();
      await postgres.stop();
    },
  };
}
