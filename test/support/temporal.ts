import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../runtime/search-attributes.ts';
import { temporalTestServer } from '../../scripts/temporal-executables.ts';
import { searchAttributeKeys } from '../../workflows/search-attributes.ts';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** The time-skipping test server; give the workers the same `dataConverter` as the environment's client. */
export async function timeSkippingEnvironment(options: { dataConverter?: DataConverter } = {}): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: temporalTestServer() }, client: options });
  // The test server cannot list search attributes, only add them.
  await registerSearchAttributes(
    env.connection,
    env.namespace ?? 'default',
    searchAttributeKeys.map((key) => key.name),
  );
  return env;
}
