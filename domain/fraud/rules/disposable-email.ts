// disposable_email: the referee signed up with a throwaway mailbox.
import type { FraudRule } from '../assessment.ts';
import { disposableDomainOf } from '../email.ts';

export const disposableEmail: FraudRule = ({ referee }, { disposable_email: { weight } }) => {
  const domain = referee.email ? disposableDomainOf(referee.email) : null;
  return domain ? { rule: 'disposable_email', weight, detail: `referee's email address is at ${domain}, a disposable-email domain` } : null;
};
