// The workflow bundle's entry point: every workflow type the worker runs.

export { addressRetentionWorkflow } from './address-retention.ts';
export { crmSyncWorkflow } from './crm-sync.ts';
export { recurringRewardWorkflow } from './recurring-reward.ts';
export { referralWorkflow } from './referral.ts';
export { webhookDeliveryWorkflow } from './webhook-delivery.ts';
