// The workflow bundle workers run: built once by `npm run build` into .build/, and used by a worker
// when it is current, else bundled at start. "Current" means built from the same workflow sources:
// the bundle's manifest keeps a hash of every file under workflows/ and domain/ (all the workflow
// code may import: the layering rule) and of package-lock.json (the SDK and libraries bundled in).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { z } from 'zod';

const root = fileURLToPath(new URL('../', import.meta.url));
export const workflowsPath = path.join(root, 'workflows', 'index.ts');
export const bundleDir = path.join(root, '.build');
const bundleFile = path.join(bundleDir, 'workflow-bundle.js');
const manifestFile = path.join(bundleDir, 'workflow-bundle.json');

const manifestSchema = z.object({ sourceHash: z.string(), builtAt: z.string() });

export interface LoadedBundle {
  code: string;
  /** `prebuilt` when .build/ held a current bundle; otherwise why the worker bundled the code itself. */
  source: 'prebuilt' | 'no prebuilt bundle' | 'prebuilt bundle is stale';
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

/** A hash of what the bundle is built from, by file name and content. */
export async function workflowSourceHash(): Promise<string> {
  const files = [...(await filesUnder('workflows')), ...(await filesUnder('domain')), 'package-lock.json'].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    hash.update(await readFile(path.join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

/** Bundles the workflow code and writes it, with its manifest, to .build/ (replacing any older one whole). */
export async function buildWorkflowBundle(): Promise<{ file: string; bytes: number }> {
  const sourceHash = await workflowSourceHash();
  const { code } = await bundleWorkflowCode({ workflowsPath });
  await mkdir(bundleDir, { recursive: true });
  await writeFile(`${bundleFile}.partial`, code);
  await rename(`${bundleFile}.partial`, bundleFile);
  await writeFile(manifestFile, `${JSON.stringify({ sourceHash, builtAt: new Date().toISOString() }, null, 2)}\n`);
  return { file: path.relative(root, bundleFile), bytes: Buffer.byteLength(code) };
}

/** The prebuilt bundle's code when it was built from today's sources, else why not. */
async function readPrebuilt(sourceHash: string): Promise<{ code: string } | { stale: Exclude<LoadedBundle['source'], 'prebuilt'> }> {
  try {
    const manifest = manifestSchema.parse(JSON.parse(await readFile(manifestFile, 'utf8')));
    if (manifest.sourceHash !== sourceHash) return { stale: 'prebuilt bundle is stale' };
    return { code: await readFile(bundleFile, 'utf8') };
  } catch {
    return { stale: 'no prebuilt bundle' };
  }
}

/** The prebuilt bundle when it is current, else a fresh one (a worker start then takes seconds longer). */
export async function loadWorkflowBundle(): Promise<LoadedBundle> {
  const prebuilt = await readPrebuilt(await workflowSourceHash());
  if ('code' in prebuilt) return { code: prebuilt.code, source: 'prebuilt' };
  const { code } = await bundleWorkflowCode({ workflowsPath });
  return { code, source: prebuilt.stale };
}
