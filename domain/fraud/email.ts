// What an email address says about its owner: the mailbox behind its disguises, and whether it is a
// throwaway one from the disposable-email-domains list (maintained upstream, shipped as a package).
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';

const disposableDomains: ReadonlySet<string> = disposableEmailBlocklistSet();

/**
 * The canonical mailbox behind an address: case folded, "+tag" dropped, and for Gmail the dots
 * dropped too, since all of those reach the same inbox.
 */
export function canonicalEmail(email: string): string {
  const [local = '', domain = ''] = email
    .trim()
    .toLowerCase()
    .split(/@(?=[^@]*$)/);
  const untagged = local.split('+')[0] ?? '';
  const gmail = domain === 'gmail.com' || domain === 'googlemail.com';
  return `${gmail ? untagged.replaceAll('.', '') : untagged}@${gmail ? 'gmail.com' : domain}`;
}

/** The disposable domain an address is at (itself or a parent domain of it), or null. */
export function disposableDomainOf(email: string): string | null {
  const labels = (email.trim().toLowerCase().split('@').at(-1) ?? '').split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const domain = labels.slice(i).join('.');
    if (disposableDomains.has(domain)) return domain;
  }
  return null;
}
