// referrer_velocity: more referrals for one referrer within a window than a person brings in by
// telling friends.
import { durationMs } from '../../duration.ts';
import type { FraudRule } from '../assessment.ts';
import { plural, spellDuration } from '../words.ts';

export const referrerVelocity: FraudRule = ({ referrerReferrals }, { referrer_velocity: { weight, window, maxReferrals } }) => {
  if (referrerReferrals <= maxReferrals) return null;
  return {
    rule: 'referrer_velocity',
    weight,
    detail: `${plural(referrerReferrals, 'referral')} by this referrer within ${spellDuration(durationMs(window))} of this one (more than ${maxReferrals})`,
  };
};
