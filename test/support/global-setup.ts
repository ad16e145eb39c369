// Starts the servers the slow suites share for the whole run: one Postgres cluster (each test file
// makes its own database on it) and one Temporal dev server (each file uses its own task queue).

import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { postgresExecutables } from '../../scripts/postgres-executables.ts';
import { temporalCli } from '../../scripts/temporal-executables.ts';
import { searchAttributeKeys } from '../../workflows/search-attributes.ts';
import { freePort } from './free-port.ts';

export default async function globalSetup(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'referral-tests-'));
  await chmod(dir, 0o755); // as root, Postgres runs as its own user and must reach its data directory
  const [postgres, temporal] = await Promise.all([
    Promise.all([freePort(), postgresExecutables()]).then(([port, executables]) =>
      startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port, executables, ephemeral: true }),
    ),
    TestWorkflowEnvironment.createLocal({
      server: { executable: temporalCli(), searchAttributes: searchAttributeKeys, log: { format: 'pretty', level: 'error' } },
    }),
  ]);
  process.env.TEST_DATABASE_URL = postgres.url;
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  Object.assign(globalThis, { testStack: { dir, postgres, temporal } });
}
