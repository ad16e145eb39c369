// shared_network: the referee and the referrer on one address, or one IPv4 /24 or IPv6 /64. One home
// or office is common and honest; several of the referrer's referees on the referrer's own network is not.
import type { FraudRule } from '../assessment.ts';
import { ipsOf, networksOf } from '../evidence.ts';
import { plural } from '../words.ts';

export const sharedNetwork: FraudRule = ({ referrer, referee, peers }, { shared_network: { weight, minReferees } }) => {
  const referrerNetworks = networksOf(referrer);
  const network = networksOf(referee).find((n) => referrerNetworks.includes(n));
  if (network === undefined) return null;
  const referrerIps = ipsOf(referrer);
  const sameAddress = ipsOf(referee).some((ip) => referrerIps.includes(ip));
  const others = peers.filter((peer) => peer.networks.length > 0).length;
  const where = sameAddress ? `one IP address in ${network}` : network;
  const company = others > 0 ? `, as ${plural(others, 'more referee')} of this referrer ${others === 1 ? 'is' : 'are'}` : '';
  return {
    rule: 'shared_network',
    weight: others + 1 >= minReferees ? weight : Math.round(weight / 3),
    detail: `referee and referrer on ${where}${company}`,
  };
};
