// Where `npm start` keeps its Postgres cluster: DATA_DIR/postgres, unless Postgres runs as the
// "postgres" user (as it does for root) and that user cannot enter DATA_DIR, as in a clone under /root.
// Then the cluster lives in a directory of its own under /var/lib/referral-engine and DATA_DIR/postgres
// is a link to it, so it still survives restarts and is found again from DATA_DIR.
import { lstat, mkdir, mkdtemp, readdir, readlink, rmdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedPostgresError, firstClosedDirectory, runsAsPostgresUser } from '../db/embedded-postgres.ts';

export const defaultKeepAt = '/var/lib/referral-engine';

export interface PostgresDataDir {
  /** Where the cluster is. */
  path: string;
  /** Set when the cluster is kept elsewhere: the link under DATA_DIR that leads to it. */
  linkedFrom: string | null;
}

export async function postgresDataDir(wanted: string, keepAt = defaultKeepAt): Promise<PostgresDataDir> {
  const found = await lstat(wanted).catch(() => null);
  if (found?.isSymbolicLink()) return { path: path.resolve(path.dirname(wanted), await readlink(wanted)), linkedFrom: wanted };
  const closed = runsAsPostgresUser() ? await firstClosedDirectory(path.dirname(wanted)) : null;
  if (!closed) return { path: wanted, linkedFrom: null };
  if (found && (await readdir(wanted)).length > 0) {
    throw new EmbeddedPostgresError(
      `${wanted} holds a Postgres cluster that the "postgres" user, which Postgres runs as for root, cannot reach (it cannot enter ${closed}): move DATA_DIR where it can, or run as the user who made it`,
    );
  }
  if (found) await rmdir(wanted);
  await mkdir(keepAt, { recursive: true, mode: 0o755 });
  const kept = await mkdtemp(path.join(keepAt, 'postgres-'));
  await symlink(kept, wanted);
  return { path: kept, linkedFrom: wanted };
}
