import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { sendWebhook } from '../../activities/webhook-sender.ts';
import { assertPublicUrl } from '../../api/webhook-url.ts';
import { isPublicAddress } from '../../domain/public-address.ts';
import { signatureHeader } from '../../domain/webhook-signature.ts';

describe('webhook signatures', () => {
  it('sign "<t>.<body>" with HMAC-SHA256 under the endpoint secret', () => {
    const body = '{"id":"evt_1"}';
    const expected = createHmac('sha256', 'secret').update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader('secret', body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });
});

describe('public addresses', () => {
  it.each([
    ['93.184.216.34', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:93.184.216.34', true],
    ['not-an-address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuse endpoint URLs on loopback, private and link-local hosts, naming the field', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'https://[::1]/hook', 'http://169.254.169.254/latest', 'http://localhost/hook']) {
      await expect(assertPublicUrl(url, false)).rejects.toMatchObject({ status: 422, errors: [{ path: 'url', message: expect.any(String) }] });
    }
    await expect(assertPublicUrl('http://93.184.216.34/hook', false)).resolves.toBeUndefined();
    await expect(assertPublicUrl('http://127.0.0.1:8080/hook', true)).resolves.toBeUndefined();
  });

  it('never reach a private address when sending, unless the deployment allows it', async () => {
    const server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const request = { body: '{}', headers: {}, timeoutMs: 1_000 };
      await expect(sendWebhook({ ...request, url: `http://127.0.0.1:${port}/`, allowPrivateUrls: false })).rejects.toThrow('127.0.0.1 is not a public address');
      await expect(sendWebhook({ ...request, url: `http://localhost:${port}/`, allowPrivateUrls: false })).rejects.toThrow(/not a public address/);
      await expect(sendWebhook({ ...request, url: `http://127.0.0.1:${port}/`, allowPrivateUrls: true })).resolves.toEqual({ statusCode: 204 });
    } finally {
      server.close();
    }
  });
});
