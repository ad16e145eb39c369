// Run daily by a Temporal Schedule (runtime/address-retention-schedule.ts): clears the IP addresses
// recorded for the fraud rules once they are older than each program's signalRetention.
import { proxyActivities } from '@temporalio/workflow';
import type { ReferralActivities } from '../activities/index.ts';

const { clearExpiredAddresses } = proxyActivities<ReferralActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
});

export async function addressRetentionWorkflow(): Promise<number> {
  return clearExpiredAddresses();
}
