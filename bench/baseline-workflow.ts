// The floor the referral workflow is measured against: a workflow that does nothing but finish when
// signalled, so signal-to-completion is Temporal's own cost.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const finish = defineSignal('finish');

export async function finishOnSignal(): Promise<void> {
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  await condition(() => finished);
}
