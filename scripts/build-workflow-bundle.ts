// `npm run build`: bundles the workflow code into .build/, so workers start without bundling it
// themselves (see runtime/workflow-bundle.ts for when a worker trusts it).
import { buildWorkflowBundle } from '../runtime/workflow-bundle.ts';

const started = performance.now();
const { file, bytes } = await buildWorkflowBundle();
process.stdout.write(`wrote ${file} (${(bytes / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
