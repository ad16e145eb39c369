// As root, embedded Postgres runs as a "postgres" user, who cannot enter a clone under a directory
// closed to others, such as /root. A directory of that kind is simulated here, with a copy of the
// binaries and a DATA_DIR inside it; as root, Postgres must still start, from places it can reach.

import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { postgresDataDir } from '../../scripts/postgres-data-dir.ts';
import { executablesOf, packagedPostgres, postgresExecutables } from '../../scripts/postgres-executables.ts';
import { freePort } from '../support/free-port.ts';

const asRoot = process.getuid?.() === 0;
let open: string;
let closed: string;

beforeAll(async () => {
  open = await mkdtemp(path.join(tmpdir(), 'embedded-postgres-'));
  await chmod(open, 0o755);
  closed = path.join(open, 'home');
  await mkdir(closed, { mode: 0o700 });
});

afterAll(() => rm(open, { recursive: true, force: true }));

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded Postgres from a directory closed to others', () => {
  it('runs from a copy of binaries the postgres user cannot reach, made once per version', async () => {
    const packaged = await packagedPostgres();
    const unreachable = { ...packaged, dir: path.join(closed, 'clone', 'node_modules', 'postgres') };
    await cp(packaged.dir, unreachable.dir, { recursive: true, verbatimSymlinks: true });
    const cache = path.join(open, 'cache');

    const executables = await postgresExecutables(unreachable, cache);
    expect(await postgresExecutables(unreachable, cache)).toEqual(executables);
    const copy = `postgres-${packaged.version}-${process.platform}-${process.arch}`;
    expect(await readdir(cache).catch(() => [])).toEqual(asRoot ? [copy] : []);
    expect(executables).toEqual(executablesOf(asRoot ? { ...packaged, dir: path.join(cache, copy) } : unreachable));

    const postgres = await startEmbeddedPostgres({ dataDir: path.join(open, 'cluster'), port: await freePort(), executables, ephemeral: true });
    try {
      expect(await query(postgres.url, "select current_setting('server_version_num')::int >= 180000 as recent")).toEqual([{ recent: true }]);
    } finally {
      await postgres.stop();
    }
  });

  it('keeps the cluster of a DATA_DIR the postgres user cannot enter where it can, linked from DATA_DIR, across restarts', async () => {
    const wanted = path.join(closed, 'clone', '.data', 'postgres');
    await mkdir(path.dirname(wanted), { recursive: true });
    const keepAt = path.join(open, 'kept');
    const executables = await postgresExecutables();

    const cluster = await postgresDataDir(wanted, keepAt);
    expect(cluster).toEqual(
      asRoot ? { path: expect.stringMatching(new RegExp(`^${keepAt}/postgres-`)), linkedFrom: wanted } : { path: wanted, linkedFrom: null },
    );
    const first = await startEmbeddedPostgres({ dataDir: cluster.path, port: await freePort(), executables, ephemeral: true });
    try {
      await query(first.url, "create table kept (note text); insert into kept values ('still here')");
    } finally {
      await first.stop();
    }

    expect(await postgresDataDir(wanted, keepAt)).toEqual(cluster);
    const second = await startEmbeddedPostgres({ dataDir: cluster.path, port: await freePort(), executables, ephemeral: true });
    try {
      expect(await query(second.url, 'select note from kept')).toEqual([{ note: 'still here' }]);
    } finally {
      await second.stop();
    }
  });

  it('says in one line what to do when DATA_DIR already holds a cluster the postgres user cannot reach', async () => {
    const wanted = path.join(closed, 'old-clone', '.data', 'postgres');
    await mkdir(wanted, { recursive: true });
    await writeFile(path.join(wanted, 'PG_VERSION'), '18\n');

    const outcome = await postgresDataDir(wanted, path.join(open, 'kept')).then(
      (cluster) => cluster.path,
      (error: Error) => error.message,
    );
    expect(outcome).toEqual(
      asRoot ? expect.stringMatching(new RegExp(`^${wanted} holds a Postgres cluster .* cannot enter ${closed}\\): move DATA_DIR [^\\n]+$`)) : wanted,
    );
  });
});
