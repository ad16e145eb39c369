// The personalised landing page a browser sees for a program with a headline.
import { escapeHtml } from './escape-html.ts';

export function personalise(template: string, referrerName: string | null): string {
  const firstName = referrerName?.trim().split(/\s+/)[0] || 'A friend';
  return template.replaceAll('{{referrerFirstName}}', firstName);
}

export function landingPage(headline: string, target: string): string {
  const title = escapeHtml(headline);
  const href = escapeHtml(target);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>
  body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; background: #f6f7f9; color: #111; }
  main { text-align: center; padding: 2rem; }
  h1 { font-size: 1.8rem; margin-bottom: 1.5rem; }
  a { display: inline-block; padding: .8rem 1.6rem; border-radius: .5rem; background: #1f6feb; color: #fff; text-decoration: none; font-weight: 600; }
</style>
</head>
<body>
<main>
  <h1>${title}</h1>
  <a href="${href}">Claim your offer</a>
</main>
</body>
</html>
`;
}
