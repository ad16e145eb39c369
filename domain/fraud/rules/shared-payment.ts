// shared_payment: one card paying for several of a referrer's referees, or the referrer's own card
// paying for a referee. A family card does the second honestly, so alone it weighs little.
import type { FraudRule } from '../assessment.ts';
import { cardsOf } from '../evidence.ts';
import { plural } from '../words.ts';

export const sharedPayment: FraudRule = ({ referrer, referee, cardHolders }, { shared_payment: { weight, minReferees, ownCardWeight } }) => {
  const cards = cardsOf(referee);
  if (cards.length === 0) return null;
  const referrerCards = cardsOf(referrer);
  const ownCard = cards.some((card) => referrerCards.includes(card));
  const fellows = cardHolders.filter((holder) => holder.referredByReferrer).length;
  if (!ownCard && fellows === 0) return null;
  const owner = ownCard ? " and is the referrer's own" : '';
  if (1 + fellows + (ownCard ? 1 : 0) >= minReferees) {
    return { rule: 'shared_payment', weight, detail: `one card paid for ${plural(fellows + 1, 'referee')} of this referrer${owner}`, household: true };
  }
  return {
    rule: 'shared_payment',
    weight: ownCardWeight,
    detail: ownCard ? "referee paid with the referrer's own card" : `referee's card also paid for ${plural(fellows, 'other referee')} of this referrer`,
    household: true,
  };
};
