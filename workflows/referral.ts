// One referral, from attribution to a paid (or refused) reward. The workflow decides; activities act.
// It reads like the status diagram: each phase either hands on to the next or says how it ends.
import type { ReferralView } from '../domain/referral.ts';
import type { ReferralInput } from './definitions.ts';
import { assessFraud } from './phases/assess-fraud.ts';
import { awaitConversion } from './phases/await-conversion.ts';
import { hold } from './phases/hold.ts';
import { payOut } from './phases/pay-out.ts';
import { watchForClawback } from './phases/watch-for-clawback.ts';
import { registerHandlers } from './referral-handlers.ts';
import { type Ending, ReferralRun } from './referral-run.ts';

export async function referralWorkflow(input: ReferralInput): Promise<ReferralView> {
  const run = new ReferralRun(input);
  registerHandlers(run);
  run.announce();
  return run.end(await lifecycle(run));
}

/** pending_conversion → (in_review) → holding → rewarding → rewarded → (reversed), or an earlier end. */
async function lifecycle(run: ReferralRun): Promise<Ending> {
  const converted = await awaitConversion(run);
  if ('ending' in converted) return converted.ending;
  const { reward } = converted;
  return (await assessFraud(run, reward)) ?? (await hold(run, reward)) ?? (await payOut(run, reward)) ?? (await watchForClawback(run, reward));
}
