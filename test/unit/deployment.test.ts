// docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so they are checked
// against the code they deploy: entry points exist, their environment passes our own config
// validation, the image holds every file they import, and the search attributes match the code's.

import { existsSync, readFileSync } from 'node:fs';
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
