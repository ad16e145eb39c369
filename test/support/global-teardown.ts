import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningPostgres } from '../../db/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  const { testStack } = globalThis as unknown as { testStack: { postgres: RunningPostgres; temporal: TestWorkflowEnvironment } };
  await Promise.allSettled([testStack.temporal.teardown(), testStack.postgres.stop()]);
}
