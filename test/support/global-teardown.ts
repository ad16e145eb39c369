import { rm } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningPostgres } from '../../db/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  const { testStack } = globalThis as unknown as { testStack: { dir: string; postgres: RunningPostgres; temporal: TestWorkflowEnvironment } };
  await Promise.allSettled([testStack.temporal.teardown(), testStack.postgres.stop()]);
  await rm(testStack.dir, { recursive: true, force: true });
}
