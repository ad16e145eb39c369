// The pages a referral link shows a browser: the personalised landing page (also what link-preview
// bots read, through its Open Graph and Twitter card tags) and the page for a code that does not
// exist. Server-rendered, one request, no script; every value from a program or a participant is
// escaped, and the headers forbid scripts, framing and content sniffing.
import { createHash } from 'node:crypto';
import { escapeHtml } from './escape-html.ts';

export interface LandingView {
  programName: string;
  /** The program's headline with the referrer's first name filled in. */
  headline: string;
  referrerFirstName: string | null;
  /** The referee's offer in words ("20% off your first order"), if there is one. */
  offer: string | null;
  body: string | null;
  imageUrl: string | null;
  template: 'card' | 'banner';
  /** Where the call to action leads: the landing URL with ref (and rclid, for a counted click). */
  target: string;
  /** The referral link itself, for previews. */
  shareUrl: string;
}

export interface RenderedPage {
  html: string;
  headers: Record<string, string>;
}

export function firstNameOf(name: string | null): string | null {
  return name?.trim().split(/\s+/)[0] || null;
}

export function personalise(template: string, referrerName: string | null): string {
  return template.replaceAll('{{referrerFirstName}}', firstNameOf(referrerName) ?? 'A friend');
}

// Mobile first: one column; the card gets a frame on wider screens. Text is #1b1f24 on white
// (16:1), the button white on #0b57d0 (6.2:1), the fine print #4b5563 on white (7.6:1).
const STYLE = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#eef1f5}
main{min-height:100vh;display:grid;place-items:center;padding:1rem}
article{width:100%;max-width:30rem;background:#fff;border-radius:1rem;overflow:hidden;box-shadow:0 1px 3px rgb(0 0 0/.12)}
.content{padding:1.5rem}
.hero{display:block;width:100%;aspect-ratio:16/9;object-fit:cover;background:#dfe3e8}
.card .hero{width:calc(100% - 3rem);margin:1.5rem 1.5rem 0;border-radius:.75rem}
.banner main{place-items:start center;padding:0}
.banner article{max-width:none;border-radius:0;box-shadow:none;min-height:100vh}
.banner .hero{aspect-ratio:21/9;max-height:22rem}
.banner .content{max-width:36rem;margin:0 auto}
.brand{margin:0 0 .25rem;font-size:.9375rem;font-weight:600;color:#4b5563;text-transform:uppercase;letter-spacing:.04em}
h1{margin:0 0 1rem;font-size:1.75rem;line-height:1.2}
.offer{margin:0 0 1rem;padding:.75rem 1rem;border-radius:.5rem;background:#e8f0fe;color:#0b3d91;font-size:1.25rem;font-weight:700}
.body p{margin:0 0 1rem}
.cta{display:block;margin:1.5rem 0 1rem;padding:.875rem 1.25rem;border-radius:.5rem;background:#0b57d0;color:#fff;text-align:center;font-weight:700;text-decoration:none}
.cta:hover{background:#0842a0}
.cta:focus-visible{outline:3px solid #1b1f24;outline-offset:3px}
.fine{margin:0;font-size:.9375rem;color:#4b5563}
@media (min-width:40rem){main{padding:2rem}h1{font-size:2.25rem}.banner main{padding:0}}
`.trim();

// The one inline stylesheet is allowed by its hash, so the policy needs no 'unsafe-inline'.
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

function securityHeaders(imageOrigin: string | null): Record<string, string> {
  const policy = [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    `img-src ${imageOrigin ?? "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}

function document(options: { title: string; head: string[]; bodyClass: string; main: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title}</title>
${[...options.head, `<style>${STYLE}</style>`].join('\n')}
</head>
<body class="${options.bodyClass}">
<main>
${options.main}
</main>
</body>
</html>
`;
}

const meta = (attribute: 'name' | 'property', key: string, value: string) => `<meta ${attribute}="${key}" content="${escapeHtml(value)}">`;

function previewDescription(view: LandingView): string {
  const invitation = `${view.referrerFirstName ?? 'A friend'} invited you to ${view.programName}.`;
  const text = [view.offer ? `${view.offer}.` : null, view.body ?? invitation].filter(Boolean).join(' ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '')
    .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
    .join('\n');
}

export function landingPage(view: LandingView): RenderedPage {
  const description = previewDescription(view);
  const head = [
    meta('name', 'description', description),
    meta('property', 'og:type', 'website'),
    meta('property', 'og:site_name', view.programName),
    meta('property', 'og:title', view.headline),
    meta('property', 'og:description', description),
    meta('property', 'og:url', view.shareUrl),
    ...(view.imageUrl ? [meta('property', 'og:image', view.imageUrl)] : []),
    meta('name', 'twitter:card', view.imageUrl ? 'summary_large_image' : 'summary'),
    meta('name', 'twitter:title', view.headline),
    meta('name', 'twitter:description', description),
    ...(view.imageUrl ? [meta('name', 'twitter:image', view.imageUrl)] : []),
  ];
  const main = [
    '<article>',
    view.imageUrl ? `<img class="hero" src="${escapeHtml(view.imageUrl)}" alt="">` : '',
    '<div class="content">',
    `<p class="brand">${escapeHtml(view.programName)}</p>`,
    `<h1>${escapeHtml(view.headline)}</h1>`,
    view.offer ? `<p class="offer">${escapeHtml(view.offer)}</p>` : '',
    view.body ? `<div class="body">\n${paragraphs(view.body)}\n</div>` : '',
    `<a class="cta" href="${escapeHtml(view.target)}">${view.offer ? 'Claim your offer' : 'Get started'}</a>`,
    `<p class="fine">Invited by ${escapeHtml(view.referrerFirstName ?? 'a friend')}</p>`,
    '</div>',
    '</article>',
  ].filter((line) => line !== '');
  return {
    html: document({ title: escapeHtml(`${view.headline} · ${view.programName}`), head, bodyClass: view.template, main: main.join('\n') }),
    headers: securityHeaders(view.imageUrl ? new URL(view.imageUrl).origin : null),
  };
}

/** For a browser that followed a link with a code that does not exist (mistyped, or never issued). */
export function notFoundPage(): RenderedPage {
  const main = [
    '<article>',
    '<div class="content">',
    '<h1>This invitation link does not work</h1>',
    '<p>The code in it is not one we know. Check the link you were sent, or ask the friend who sent it for a new one.</p>',
    '</div>',
    '</article>',
  ];
  return { html: document({ title: 'Invitation not found', head: [], bodyClass: 'card', main: main.join('\n') }), headers: securityHeaders(null) };
}
