// shared_network: the referee and the referrer on one address, or one IPv4 /24 or IPv6 /64. One home
// or office is common and honest; a burst of the referrer's referees on the referrer's own network is not.
import { durationMs } from '../../duration.ts';
import type { FraudRule } from '../assessment.ts';
import { ipsOf, networksOf } from '../evidence.ts';
import { plural, spellDuration } from '../words.ts';

export const sharedNetwork: FraudRule = ({ referrer, referee, peers, attributedAt }, { shared_network: { weight, window, minReferees } }) => {
  const referrerNetworks = networksOf(referrer);
  const network = networksOf(referee).find((n) => referrerNetworks.includes(n));
  if (network === undefined) return null;
  const referrerIps = ipsOf(referrer);
  const sameAddress = ipsOf(referee).some((ip) => referrerIps.includes(ip));
  const span = durationMs(window);
  const signedUp = Date.parse(attributedAt);
  const others = peers.filter((peer) => peer.onSharedNetwork.some((seen) => Math.abs(Date.parse(seen.at) - signedUp) <= span)).length;
  const where = sameAddress ? `one IP address in ${network}` : network;
  const company = others > 0 ? `, with ${plural(others, 'more referee')} of this referrer within ${spellDuration(span)}` : '';
  return {
    rule: 'shared_network',
    weight: others + 1 >= minReferees ? weight : Math.round(weight / 3),
    detail: `referee and referrer on ${where}${company}`,
    household: true,
  };
};
