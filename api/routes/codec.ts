// The payload codec over HTTP, in Temporal's codec server protocol (POST …/encode and …/decode of
// Payloads as proto3 JSON), so that ops with a key read referrals' payloads in the Temporal Web UI and
// CLI; and the page a browser signs in on.
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { CODEC_REALM } from '../codec-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, unprocessable } from '../errors.ts';
import { escapeHtml } from '../escape-html.ts';
import { defineRoute } from '../route.ts';

const base64 = z.base64();
const payloadJson = z
  .object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })
  .describe('A Temporal Payload as proto3 JSON: metadata values and data in base64');
const payloadsJson = z.strictObject({ payloads: z.array(payloadJson) });
type PayloadJson = z.infer<typeof payloadJson>;

function fromJson({ metadata, data }: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): PayloadJson {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value ?? []).toString('base64')])),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

function signedInPage(keyName: string, endpoint: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Payload codec: signed in</title></head>
<body>
<main>
<h1>This browser can decode referral payloads</h1>
<p>Signed in to the payload codec with the API key “${escapeHtml(keyName)}”. The browser keeps the key until it is closed.</p>
<p>If the Temporal Web UI still says “Codec Server could not connect”, open its codec settings (the glasses icon
at the top right), choose <b>Use my browser setting and ignore Cluster-level setting</b>, enter this endpoint,
turn on <b>Include cross-origin credentials</b> (leave <b>Pass the user access token</b> off) and apply:</p>
<pre>${escapeHtml(endpoint)}</pre>
<p>Workflow inputs, results, signals, activity payloads and step names then show decoded.</p>
</main>
</body>
</html>
`;
}

/** The codec's routes: `convert` answer the Web UI's requests, `signIn` asks a browser for a key (see codec-access.ts). */
export function codecRoutes(deps: ApiDeps) {
  const codec = () => {
    if (deps.payloadCodec) return deps.payloadCodec;
    throw new ApiError(
      503,
      'codec_not_configured',
      'Payload codec not configured',
      'PAYLOAD_KEYS is not set on this API process, so it cannot decode payloads',
    );
  };
  const convert = (direction: 'encode' | 'decode') =>
    defineRoute({
      method: 'post',
      path: `/v1/codec/${direction}`,
      summary:
        direction === 'decode'
          ? "Decrypts Temporal payloads (Temporal's codec server protocol): what the Temporal Web UI and CLI call to show referrals' payloads. Payloads that are not encrypted come back as they are."
          : "Encrypts Temporal payloads (Temporal's codec server protocol), with the current key of PAYLOAD_KEYS: what the Temporal Web UI calls for a signal or input typed in it.",
      tag: 'Codec',
      access: ['ops'],
      body: payloadsJson,
      bodyLimit: '1mb',
      responses: {
        200: { description: direction === 'decode' ? 'The payloads, decrypted' : 'The payloads, encrypted', schema: payloadsJson },
        422: { description: 'A payload names a key that PAYLOAD_KEYS does not hold, or does not decrypt with it' },
        503: { description: 'PAYLOAD_KEYS is not set on this API process' },
      },
      async handle({ body }) {
        let payloads: Payload[];
        try {
          payloads = await codec()[direction](body.payloads.map(fromJson));
        } catch (error) {
          if (error instanceof ApiError) throw error;
          throw unprocessable(error instanceof Error ? error.message : String(error));
        }
        return { status: 200, body: { payloads: payloads.map(toJson) } };
      },
    });

  return {
    convert: [convert('decode'), convert('encode')],
    signIn: defineRoute({
      method: 'get',
      path: '/v1/codec/sign-in',
      summary: `Signs a browser in to the codec: opened in a browser, it asks for an ops API key (HTTP Basic authentication, realm "${CODEC_REALM}": any user name, the key as password), which the browser then sends with the Temporal Web UI's codec requests`,
      tag: 'Codec',
      access: ['ops'],
      responses: { 200: { description: 'A page saying how to point the Temporal Web UI at the codec', contentType: 'text/html', schema: z.string() } },
      async handle({ principal, res }) {
        res
          .set({ 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'", 'Cache-Control': 'no-store' })
          .type('html')
          .send(signedInPage(principal?.name ?? '', `${deps.publicBaseUrl}/v1/codec`));
      },
    }),
  };
}
