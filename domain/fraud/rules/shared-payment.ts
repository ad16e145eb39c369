// shared_payment: one card paying for several of a referrer's referees, or the referrer's own card
// paying for a referee. A family card does both honestly: the referrer's card paying for the people
// at home, all seen on the referrer's own network. One card across people who are not one household
// weighs in full; inside one household, or for one referee, it weighs little.
import type { FraudRule } from '../assessment.ts';
import { cardsOf, networksOf } from '../evidence.ts';
import { plural } from '../words.ts';

export const sharedPayment: FraudRule = ({ referrer, referee, cardHolders, peers }, { shared_payment: { weight, minReferees, ownCardWeight } }) => {
  const cards = cardsOf(referee);
  if (cards.length === 0) return null;
  const referrerCards = cardsOf(referrer);
  const ownCard = cards.some((card) => referrerCards.includes(card));
  const fellows = cardHolders.filter((holder) => holder.referredByReferrer).length;
  if (!ownCard && fellows === 0) return null;
  const owner = ownCard ? " and is the referrer's own" : '';
  if (1 + fellows + (ownCard ? 1 : 0) >= minReferees) {
    const detail = `one card paid for ${plural(fellows + 1, 'referee')} of this referrer${owner}`;
    const referrerNetworks = networksOf(referrer);
    const atHome = new Set(peers.filter((peer) => peer.onSharedNetwork.length > 0).map((peer) => peer.externalId));
    const oneHousehold =
      networksOf(referee).some((network) => referrerNetworks.includes(network)) &&
      cardHolders.every((holder) => !holder.referredByReferrer || atHome.has(holder.externalId));
    if (oneHousehold) return { rule: 'shared_payment', weight: ownCardWeight, detail: `${detail}, all on the referrer's network`, household: true };
    return { rule: 'shared_payment', weight, detail, household: true };
  }
  return {
    rule: 'shared_payment',
    weight: ownCardWeight,
    detail: ownCard ? "referee paid with the referrer's own card" : `referee's card also paid for ${plural(fellows, 'other referee')} of this referrer`,
    household: true,
  };
};
