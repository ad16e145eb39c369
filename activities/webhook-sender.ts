// Sends one signed webhook request: a POST with a timeout, no redirects followed, and, unless the
// deployment allows it, only to public addresses. The address is checked as the connection is made,
// so a host name cannot pass the check and then resolve somewhere private (DNS rebinding).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '../domain/public-address.ts';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivateUrls: boolean;
}

export interface WebhookResponse {
  statusCode: number;
}

/** A connection refused before it was made, because the host resolves to a non-public address. */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
}

const publicOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const refused = list.find((entry) => !isPublicAddress(entry.address));
    if (refused) return callback(new PrivateAddressError(`${hostname} resolves to ${refused.address}, which is not a public address`), '', 0);
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
    callback(null, first.address, first.family);
  });
};

export function sendWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const url = new URL(request.url);
  const transport = url.protocol === 'https:' ? https : http;
  // An address written into the URL is never looked up, so it is checked here.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!request.allowPrivateUrls && isIP(literal) && !isPublicAddress(literal)) {
    return Promise.reject(new PrivateAddressError(`${literal} is not a public address`));
  }
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body), ...request.headers },
        ...(request.allowPrivateUrls ? {} : { lookup: publicOnly }),
      },
      (response) => {
        // The body is not needed; reading it frees the socket.
        response.resume();
        response.on('end', () => {
          clearTimeout(deadline);
          resolve({ statusCode: response.statusCode ?? 0 });
        });
        response.on('error', reject);
      },
    );
    // One deadline for the whole exchange, so a receiver that trickles its answer cannot hold a worker slot.
    const deadline = setTimeout(() => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    outgoing.end(request.body);
  });
}
