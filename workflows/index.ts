// The workflow bundle's entry point: every workflow type the worker runs.
export { reconciliationWorkflow } from './reconciliation.ts';
export { referralWorkflow } from './referral.ts';
