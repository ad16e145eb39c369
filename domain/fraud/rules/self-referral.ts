// self_referral: the referee is the referrer under another name: the same account, mailbox or Stripe
// customer, or the device the referrer themselves clicked, signed up or signed in on.
import type { FraudRule } from '../assessment.ts';
import { canonicalEmail } from '../email.ts';
import { devicesOf, ipsOf, sightingLabel } from '../evidence.ts';

export const selfReferral: FraudRule = ({ referrer, referee }, { self_referral: { weight, deviceWeight } }) => {
  const signal = (w: number, detail: string) => ({ rule: 'self_referral' as const, weight: w, detail });
  if (referrer.externalId === referee.externalId) return signal(weight, "referee has the referrer's account");
  if (referrer.email && referee.email && canonicalEmail(referrer.email) === canonicalEmail(referee.email)) {
    return signal(weight, "referee has the referrer's email address");
  }
  if (referrer.stripeCustomerId && referrer.stripeCustomerId === referee.stripeCustomerId) return signal(weight, "referee has the referrer's Stripe customer");
  const refereeDevices = devicesOf(referee);
  const seen = referrer.sightings.find((s) => s.device !== null && refereeDevices.includes(s.device));
  if (!seen) return null;
  const refereeIps = ipsOf(referee);
  const sameAddress = ipsOf(referrer).some((ip) => refereeIps.includes(ip));
  return {
    ...signal(
      deviceWeight,
      `referee used the referrer's own device (seen at the referrer's ${sightingLabel(seen.kind)})${sameAddress ? ', from the same IP address' : ''}`,
    ),
    household: true,
  };
};
