// docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so they are checked
// against the code they deploy: entry points exist, their environment passes our own config
// validation, the image holds every file they import, and the search attributes match the code's.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadConfig } from '../../runtime/config.ts';
import { searchAttributeKeys } from '../../workflows/search-attributes.ts';
import { testPayloadKeys } from '../support/payload-encryption.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

/** Compose interpolation as a user without any of the optional variables set would get it. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, kind?: string, fallback?: string) => env[name] ?? (kind === '-' ? (fallback ?? '') : ''),
  );
}

function serviceEnv(service: string): Record<string, string> {
  const env = compose.services[service].environment as Record<string, string | number>;
  const given = { ADMIN_API_KEY: 'a-secret-of-at-least-24-characters', PAYLOAD_KEYS: testPayloadKeys };
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, interpolate(String(value), given)]));
}

/** Every file a module imports, transitively, by relative path. */
function importedFiles(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(entry, 'utf8');
  for (const [, specifier] of source.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    importedFiles(path.resolve(path.dirname(entry), specifier as string), seen);
  }
  return seen;
}

describe('docker-compose.yml', () => {
  it.each(['api', 'worker'])('runs the %s from an entry point that exists, with configuration that validates', (service) => {
    const [node, entry] = compose.services[service].command as string[];
    expect(node).toBe('node');
    expect(existsSync(path.join(root, entry as string))).toBe(true);
    const config = loadConfig(serviceEnv(service));
    expect(config).toMatchObject({ NODE_ENV: 'production', TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: expect.stringContaining('@postgres:5432/') });
  });

  it('gives the API its admin key and keeps it from the worker', () => {
    expect(serviceEnv('api').ADMIN_API_KEY).toBeTruthy();
    expect(serviceEnv('worker').ADMIN_API_KEY).toBeUndefined();
  });

  it('gives the API and the worker the same payload keys, and fails without them', () => {
    expect(serviceEnv('api').PAYLOAD_KEYS).toBe(testPayloadKeys);
    expect(serviceEnv('worker').PAYLOAD_KEYS).toBe(testPayloadKeys);
    expect(String(compose.services.worker.environment.PAYLOAD_KEYS)).toMatch(/^\$\{PAYLOAD_KEYS:\?/);
  });

  it("points the Web UI at the API's codec, and lets the UI's pages call it with credentials", () => {
    const ui = serviceEnv('temporal-ui');
    const api = loadConfig(serviceEnv('api'));
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`${api.publicBaseUrl}/v1/codec`);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(ui.TEMPORAL_CODEC_DEFAULT_ERROR_LINK).toBe(`${api.publicBaseUrl}/v1/codec/sign-in`);
    const [uiPort] = String(compose.services['temporal-ui'].ports[0]).split(':');
    expect(api.CODEC_CORS_ORIGINS).toEqual([`http://localhost:${uiPort}`]);
  });

  it('registers the search attributes the workflow sets', () => {
    const setup = (compose.services['temporal-namespace'].command as string[]).join('\n');
    const names = /for name in ([\w ]+); do/.exec(setup)?.[1]?.split(' ');
    expect(names?.sort()).toEqual(searchAttributeKeys.map((key) => key.name).sort());
  });

  describe('the namespace step', () => {
    // The step's script, as compose hands it to the shell, run against a stand-in for the Temporal CLI
    // that fails as a server still starting does.
    const script = (compose.services['temporal-namespace'].command as string[])[0]?.replaceAll('$$', '$') ?? '';
    const fakeCli = `#!/bin/sh
echo "$*" >> "$STATE/calls"
count() { n=$(cat "$STATE/$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STATE/$1"; echo "$n"; }
case "$*" in
  "operator cluster health") [ "$(count health)" -gt "$HEALTHY_AFTER" ] || { echo "dial tcp temporal:7233: connection refused" >&2; exit 1; } ;;
  "operator namespace describe -n default") [ -f "$STATE/namespace" ] || { echo "Namespace default is not found" >&2; exit 1; } ;;
  "operator namespace create -n default --retention 30d") touch "$STATE/namespace" ;;
  "operator search-attribute list -n default") cat "$STATE/attributes" 2>/dev/null || true ;;
  "operator search-attribute create -n default --name "*)
    [ "$(count creates)" -gt 1 ] || { echo "namespace default is not ready yet" >&2; exit 1; }
    echo "$7" >> "$STATE/attributes" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

    function run(state: string, env: Record<string, string> = {}) {
      const bin = path.join(state, 'bin');
      spawnSync('mkdir', ['-p', bin]);
      writeFileSync(path.join(bin, 'temporal'), fakeCli);
      chmodSync(path.join(bin, 'temporal'), 0o755);
      return spawnSync('/bin/sh', ['-c', script], {
        env: { PATH: `${bin}:${process.env.PATH}`, STATE: state, RETRY_DELAY: '0', HEALTHY_AFTER: '2', ...env },
        encoding: 'utf8',
      });
    }

    it('waits for the server, retries each step until it takes, and shows every failure', () => {
      const state = mkdtempSync(path.join(tmpdir(), 'compose-namespace-'));
      const first = run(state);
      expect(first.status).toBe(0);
      expect(first.stderr).toContain('connection refused');
      expect(first.stderr).toContain('attempt 2 failed: temporal operator cluster health');
      expect(first.stderr).toContain('namespace default is not ready yet');
      const attributes = readFileSync(path.join(state, 'attributes'), 'utf8').trim().split('\n');
      expect(attributes.sort()).toEqual(searchAttributeKeys.map((key) => key.name).sort());

      const again = run(state);
      expect(again.status).toBe(0);
      expect(readFileSync(path.join(state, 'attributes'), 'utf8').trim().split('\n')).toHaveLength(attributes.length);
    });

    it('gives up, failing the step, when the server never answers', () => {
      const state = mkdtempSync(path.join(tmpdir(), 'compose-namespace-'));
      const result = run(state, { HEALTHY_AFTER: '1000', RETRY_ATTEMPTS: '3' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('gave up after 3 attempts: temporal operator cluster health');
      expect(existsSync(path.join(state, 'namespace'))).toBe(false);
    });
  });

  it('passes the API its rate limits and CORS origins', () => {
    expect(Object.keys(serviceEnv('api'))).toEqual(
      expect.arrayContaining(['RATE_LIMIT_API_KEY', 'RATE_LIMIT_LINK', 'RATE_LIMIT_AUTH_FAILURES', 'CORS_ALLOWED_ORIGINS']),
    );
    expect(loadConfig(serviceEnv('api')).RATE_LIMIT_API_KEY).toEqual({ points: 6000, durationMs: 60_000 });
  });

  it('pins every image it pulls', () => {
    const pulled = Object.values(compose.services as Record<string, { image?: string; build?: unknown }>).filter((service) => !service.build);
    for (const service of pulled) expect(service.image).toMatch(/:\d[\w.-]*$/);
  });
});

describe('the Dockerfile', () => {
  it('copies every file the API and worker import', () => {
    const copied = [...dockerfile.matchAll(/^COPY (\w+) /gm)].map((match) => match[1]);
    const needed = new Set<string>();
    for (const entry of ['runtime/api.ts', 'runtime/worker.ts']) {
      for (const file of importedFiles(path.join(root, entry))) needed.add(path.relative(root, file).split(path.sep)[0] ?? '');
    }
    expect([...needed].sort()).toEqual(copied.sort());
  });
});
