// A production Temporal server on this machine: the real server binary (not the dev server), on
// Postgres, with as many history shards as asked. `npm run temporal-server -- --shards 4` starts
// embedded Postgres and the server and runs until Ctrl-C; bench/production.ts starts it in-process.
//
// The server and its SQL schema tool are built from the Go module proxy into .tools/temporal-server/
// on first use (about five minutes; GOTOOLCHAIN=auto fetches the Go release the module asks for) and
// never committed. The config written here follows the module's own development-postgres12.yaml,
// with loopback ports chosen free, no metrics or pprof listener, and `numHistoryShards` as asked.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { freePort } from '../test/support/free-port.ts';
import { postgresExecutables } from './postgres-executables.ts';

export const temporalServerVersion = 'v1.32.2';
const root = fileURLToPath(new URL('../', import.meta.url));
const toolsDir = path.join(root, '.tools', 'temporal-server', temporalServerVersion);
const exec = promisify(execFile);

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

/** The server and temporal-sql-tool, built with `go install` on first use. */
export async function temporalServerBinaries(log: (line: string) => void = () => undefined): Promise<TemporalServerBinaries> {
  const binaries = { server: path.join(toolsDir, 'server'), sqlTool: path.join(toolsDir, 'sql') };
  for (const [binary, module] of [
    [binaries.server, 'go.temporal.io/server/cmd/server'],
    [binaries.sqlTool, 'go.temporal.io/server/cmd/tools/sql'],
  ] as const) {
    if (existsSync(binary)) continue;
    log(`building ${module}@${temporalServerVersion} into ${path.relative(root, toolsDir)} (minutes, once)`);
    await mkdir(toolsDir, { recursive: true });
    await exec('go', ['install', `${module}@${temporalServerVersion}`], {
      env: { ...process.env, GOTOOLCHAIN: 'auto', GOBIN: toolsDir, CGO_ENABLED: '0' },
      maxBuffer: 64 * 2 ** 20,
    });
  }
  return binaries;
}

export interface TemporalServerOptions {
  /** Where its config and logs go. */
  dir: string;
  /** A Postgres cluster to keep its databases in (their names end in the shard count). */
  postgres: RunningPostgres;
  shards: number;
  /** Each store's connection pool, per service (four services run in this one process). */
  maxConns?: number;
  log?: (line: string) => void;
}

export interface RunningTemporalServer {
  address: string;
  databases: string[];
  stop(): Promise<void>;
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

function sqlStore(url: URL, database: string, maxConns: number): string {
  return `      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${url.hostname}:${url.port}"
        connectProtocol: tcp
        user: ${decodeURIComponent(url.username)}
        password: ${decodeURIComponent(url.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
}

function serverConfig(url: URL, databases: [string, string], shards: number, ports: Ports, maxConns: number, dynamicConfig: string): string {
  const service = (grpc: number, membership: number, http?: number) =>
    `    rpc:\n      grpcPort: ${grpc}\n      membershipPort: ${membership}\n      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${shards}
  datastores:
    default:
${sqlStore(url, databases[0], maxConns)}
    visibility:
${sqlStore(url, databases[1], Math.max(2, Math.floor(maxConns / 4)))}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
${service(ports.frontend, ports.frontendMembership, ports.frontendHttp)}
  history:
${service(ports.history, ports.historyMembership)}
  matching:
${service(ports.matching, ports.matchingMembership)}
  worker:
${service(ports.worker, ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${ports.frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${dynamicConfig}
  pollInterval: 10s
`;
}

// Search attributes registered by a worker at start are used by the next request at once, as on the
// dev server; production servers refresh their cache within a minute instead.
const dynamicConfigText = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
`;

/** Free loopback ports below 32768: the server keeps membership ports in a smallint column. */
async function lowPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function setUpDatabase(sqlTool: string, url: URL, database: string, schema: string): Promise<void> {
  const connect = [
    '--plugin',
    'postgres12',
    '--ep',
    url.hostname,
    '-p',
    url.port,
    '-u',
    decodeURIComponent(url.username),
    '--pw',
    decodeURIComponent(url.password),
  ];
  await exec(sqlTool, [...connect, '--db', database, 'create-database']).catch((error: Error) => {
    if (!/already exists/.test(String((error as Error & { stderr?: string }).stderr ?? error.message))) throw error;
  });
  await exec(sqlTool, [...connect, '--db', database, 'setup-schema', '-v', '0.0']);
  await exec(sqlTool, [...connect, '--db', database, 'update-schema', '--schema-name', schema]);
}

async function untilServing(address: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Temporal server exited (code ${child.exitCode}):\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService
          .registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('3 days') })
          .catch((error: Error) => {
            if (!/already/i.test(error.message)) throw error;
          });
        // The namespace is usable once every service's cache knows it: a start is the real test.
        const client = new Client({ connection });
        const probe = await client.workflow.start('probe', { taskQueue: 'temporal-server-probe', workflowId: `probe-${Date.now()}` });
        await probe.terminate('the server is serving');
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`the Temporal server did not serve within 2 minutes: ${error instanceof Error ? error.message : String(error)}\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<RunningTemporalServer> {
  const log = options.log ?? (() => undefined);
  const { server, sqlTool } = await temporalServerBinaries(log);
  const url = new URL(options.postgres.url);
  const databases: [string, string] = [`temporal_s${options.shards}`, `temporal_visibility_s${options.shards}`];
  await setUpDatabase(sqlTool, url, databases[0], 'postgresql/v12/temporal');
  await setUpDatabase(sqlTool, url, databases[1], 'postgresql/v12/visibility');
  const [frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership] = await lowPorts(9);
  const ports = { frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership } as Ports;
  await mkdir(options.dir, { recursive: true });
  const dynamicConfig = path.join(options.dir, 'dynamic-config.yaml');
  const configFile = path.join(options.dir, 'temporal-server.yaml');
  await writeFile(dynamicConfig, dynamicConfigText);
  await writeFile(configFile, serverConfig(url, databases, options.shards, ports as Ports, options.maxConns ?? 20, dynamicConfig));
  const child = spawn(server, ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const address = `127.0.0.1:${ports.frontend}`;
  try {
    await untilServing(address, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  log(`Temporal server ${temporalServerVersion} serving on ${address}: ${options.shards} history shard(s), Postgres databases ${databases.join(', ')}`);
  return {
    address,
    databases,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Embedded Postgres with room for a Temporal server's pools beside the engine's. */
export async function startPostgresForTemporal(dataDir: string, ephemeral: boolean): Promise<RunningPostgres> {
  const [port, executables] = await Promise.all([freePort(), postgresExecutables()]);
  return startEmbeddedPostgres({ dataDir, port, executables, ephemeral, settings: { max_connections: '400', shared_buffers: '256MB' } });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { shards: { type: 'string', default: '4' }, 'data-dir': { type: 'string', default: '.data/temporal-server' } } });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dataDir = path.resolve(values['data-dir']);
  const postgres = await startPostgresForTemporal(path.join(dataDir, 'postgres'), false);
  const running = await startTemporalServer({ dir: dataDir, postgres, shards: Number(values.shards), log });
  log(`TEMPORAL_ADDRESS=${running.address}; Postgres at ${postgres.url}; Ctrl-C stops both`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void running.stop().then(() => postgres.stop()));
  }
}
