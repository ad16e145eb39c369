// The Referral-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the
// endpoint's secret>`, after Stripe's scheme, so a receiver can check both who sent a delivery and when.
import { createHmac } from 'node:crypto';

export function signatureHeader(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
