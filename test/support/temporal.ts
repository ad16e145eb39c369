import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../runtime/search-attributes.ts';
import { temporalTestServer } from '../../scripts/temporal-executables.ts';
import { searchAttributeKeys } from '../../workflows/search-attributes.ts';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: temporalTestServer() } });
  // The test server cannot list search attributes, only add them.
  await registerSearchAttributes(
    env.connection,
    env.namespace ?? 'default',
    searchAttributeKeys.map((key) => key.name),
  );
  return env;
}
