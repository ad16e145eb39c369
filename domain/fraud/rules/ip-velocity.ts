// ip_velocity: more sign-ups or conversions from one address or network within a sliding window than
// one household or office makes: scripted sign-ups from one machine, a proxy range, a data centre.
import { durationMs } from '../../duration.ts';
import type { FraudRule } from '../assessment.ts';
import { plural, spellDuration } from '../words.ts';

export const ipVelocity: FraudRule = ({ networkActivity }, { ip_velocity: { weight, window, maxReferrals, maxConversions } }) => {
  const span = spellDuration(durationMs(window));
  const where = (exact: boolean, network: string) => (exact ? `one IP address in ${network}` : network);
  const referrals = networkActivity.filter((a) => a.referrals > maxReferrals).sort((a, b) => b.referrals - a.referrals)[0];
  if (referrals) {
    return {
      rule: 'ip_velocity',
      weight,
      detail: `${plural(referrals.referrals, 'referee')} signed up from ${where(referrals.exact, referrals.network)} within ${span} of this one (more than ${maxReferrals})`,
    };
  }
  const conversions = networkActivity.filter((a) => a.conversions > maxConversions).sort((a, b) => b.conversions - a.conversions)[0];
  if (conversions) {
    return {
      rule: 'ip_velocity',
      weight,
      detail: `${plural(conversions.conversions, 'referee')} converted from ${where(conversions.exact, conversions.network)} in the ${span} up to this conversion (more than ${maxConversions})`,
    };
  }
  return null;
};
