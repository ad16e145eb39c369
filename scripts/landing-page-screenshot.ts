// Takes docs/landing-page.png, the landing page as a phone shows it: run `node scripts/landing-page-screenshot.ts`.
// The page comes from the renderer GET /r/:code uses, with its headers (the Content-Security-Policy
// included), filled in with an example program and referrer; the example image is drawn here.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { landingPage } from '../api/landing-page.ts';
import { describeRefereeOffer } from '../domain/referee-offer.ts';
import { asPersonsChrome, launchChromium } from '../test/support/chromium.ts';

const output = fileURLToPath(new URL('../docs/landing-page.png', import.meta.url));
const imageUrl = 'https://images.acme.example/beans.svg';

const beans = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f4d9b5"/><stop offset="1" stop-color="#c98b55"/></linearGradient></defs>
<rect width="640" height="360" fill="url(#g)"/>
${[
  [170, 190, -25],
  [300, 140, 20],
  [440, 210, -10],
  [250, 270, 35],
  [520, 110, 15],
  [110, 100, 40],
]
  .map(
    ([x, y, turn]) =>
      `<g transform="translate(${x} ${y}) rotate(${turn})"><ellipse rx="46" ry="64" fill="#5b3a24"/><path d="M0 -58 C -18 -20 18 20 0 58" stroke="#2e1c10" stroke-width="7" fill="none" stroke-linecap="round"/></g>`,
  )
  .join('\n')}
</svg>`;

const page = landingPage({
  programName: 'Acme Coffee',
  headline: 'Jane sent you a coffee',
  referrerFirstName: 'Jane',
  offer: describeRefereeOffer({ kind: 'coupon', percentOff: 20, duration: 'once' }, 'usd'),
  body: 'Fresh beans from small roasters, at your door every month. Skip or cancel any time.',
  imageUrl,
  template: 'card',
  target: 'https://acme.example/signup?ref=JANE2024&rclid=ck_example',
  shareUrl: 'https://refer.acme.example/r/JANE2024',
});

const server = createServer((_req, res) => res.writeHead(200, { ...page.headers, 'Content-Type': 'text/html; charset=utf-8' }).end(page.html));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const browser = await launchChromium();
try {
  const context = await browser.newContext({ userAgent: asPersonsChrome(browser), viewport: { width: 390, height: 760 }, deviceScaleFactor: 2 });
  await context.route(imageUrl, (route) => route.fulfill({ contentType: 'image/svg+xml', body: beans }));
  const tab = await context.newPage();
  await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/r/JANE2024`);
  await tab.screenshot({ path: output, fullPage: true });
  process.stdout.write(`${output}\n`);
} finally {
  await browser.close();
  server.close();
}
