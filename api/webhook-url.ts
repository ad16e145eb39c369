// An endpoint URL must reach the public internet: loopback, private and link-local addresses are
// refused unless the deployment allows them (WEBHOOK_ALLOW_PRIVATE_URLS), so the endpoint list cannot be
// used to reach into the deployment's own network. The sender checks again as it connects.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPublicAddress } from '../domain/public-address.ts';
import { unprocessable } from './errors.ts';

export async function assertPublicUrl(url: string, allowPrivateUrls: boolean): Promise<void> {
  if (allowPrivateUrls) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (found) => found.map((entry) => entry.address),
        () => null,
      );
  if (!addresses || addresses.length === 0)
    throw unprocessable(`"${host}" does not resolve`, [{ path: 'url', message: `"${host}" does not resolve to an address` }]);
  const closed = addresses.find((address) => !isPublicAddress(address));
  if (closed) {
    throw unprocessable('webhook endpoints must be on the public internet', [
      { path: 'url', message: `"${host}" is ${closed === host ? '' : `at ${closed}, `}a loopback, private or link-local address` },
    ]);
  }
}
