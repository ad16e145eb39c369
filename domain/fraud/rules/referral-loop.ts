// referral_loop: the referral closes a cycle (the referee referred the referrer, directly or through a
// short chain), or a ring: the referee shares a device or card with someone further up the referrer's
// chain, or a chain of four or more people sits on one network.
import type { FraudRule } from '../assessment.ts';
import { cardsOf, devicesOf, networksOf } from '../evidence.ts';
import { plural } from '../words.ts';

export const referralLoop: FraudRule = ({ referrer, referee, ancestors }, { referral_loop: { weight, ringWeight } }) => {
  const back = ancestors.findIndex((a) => a.externalId === referee.externalId);
  if (back === 0)
    return { rule: 'referral_loop', weight, detail: `the referee ${referee.externalId} referred the referrer ${referrer.externalId}: they refer each other` };
  if (back > 0) {
    const chain = [referee, referrer, ...ancestors.slice(0, back + 1)].map((p) => p.externalId).reverse();
    return { rule: 'referral_loop', weight, detail: `the referral closes a cycle of ${plural(back + 2, 'person')}: ${chain.join(' → ')}` };
  }
  const devices = devicesOf(referee);
  // A card the referrer pays with too is a household's (shared_payment weighs it), not a ring's.
  const referrerCards = cardsOf(referrer);
  const cards = cardsOf(referee).filter((card) => !referrerCards.includes(card));
  for (const [steps, ancestor] of ancestors.entries()) {
    const what = devicesOf(ancestor).some((d) => devices.includes(d)) ? 'a device' : cardsOf(ancestor).some((c) => cards.includes(c)) ? 'a card' : null;
    if (what) {
      return {
        rule: 'referral_loop',
        weight: ringWeight,
        detail: `ring: the referee shares ${what} with ${ancestor.externalId}, ${plural(steps + 1, 'referral')} up the referrer's chain`,
        // A family passing a link down its own members can look like this too.
        household: true,
      };
    }
  }
  const chain = [referee, referrer, ...ancestors];
  const network = networksOf(referee).find((n) => chain.every((person) => networksOf(person).includes(n)));
  if (network !== undefined && chain.length >= 4) {
    return {
      rule: 'referral_loop',
      weight: ringWeight,
      detail: `ring: a chain of ${plural(chain.length, 'person')} referring each other, all on ${network}`,
      household: true,
    };
  }
  return null;
};
