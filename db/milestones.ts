// Milestone bonuses: when a referrer's referral reward is the Nth they have earned and the program
// has a milestone at N, a bonus is held and earned at once, under the referrer's limit. Exactly one
// referral reaches each milestone: rewards are ranked by the order in which the ledger earned them.
import type { Milestone } from '../domain/reward.ts';
import type { Db } from './connect.ts';
import { findTransferByKey } from './ledger.ts';
import { postReward, type RewardEntry, type RewardLimit, reserveReward, rewardKeys } from './reward-ledger.ts';

/** Bonus reward ids are fixed by the referrer and the milestone, so each is earned once. */
export const milestoneRewardId = (participantId: string, referrals: number): string => `rw_ms_${participantId}_${referrals}`;
const isBonus = (rewardId: string) => rewardId.startsWith('rw_ms_');

export interface MilestoneBonus extends RewardEntry {
  milestone: number;
}

/** The bonus this earned reward reaches, held and earned; null when it reaches none or the referrer is at their limit. */
export async function earnMilestoneBonus(db: Db, reward: RewardEntry, milestones: Milestone[], limit: RewardLimit): Promise<MilestoneBonus | null> {
  if (milestones.length === 0 || isBonus(reward.rewardId)) return null;
  const post = await findTransferByKey(db, rewardKeys(reward.rewardId).post);
  if (!post) return null;
  const rank = await db
    .selectFrom('ledger_transfers')
    .select((eb) => eb.fn.countAll<string>().as('rank'))
    .where('participant_id', '=', reward.participantId)
    .where('code', '=', 'reward_earned')
    .where('phase', '=', 'post')
    .where('reward_id', 'not like', 'rw\\_ms\\_%')
    .where('seq', '<=', (eb) => eb.selectFrom('ledger_transfers').select('seq').where('id', '=', post.transferId))
    .executeTakeFirstOrThrow();
  const milestone = milestones.find((candidate) => candidate.referrals === Number(rank.rank));
  if (!milestone) return null;
  const bonus: MilestoneBonus = {
    ...reward,
    rewardId: milestoneRewardId(reward.participantId, milestone.referrals),
    amount: milestone.amount,
    milestone: milestone.referrals,
  };
  // Held under the referrer's limit like any reward, then earned at once: the milestone is reached.
  if ((await reserveReward(db, bonus, limit)).outcome === 'capped') return null;
  await postReward(db, bonus.rewardId);
  return bonus;
}
