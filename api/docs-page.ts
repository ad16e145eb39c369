// /docs: a readable page of every endpoint, rendered from the same route declarations as /openapi.json.
import { escapeHtml } from './escape-html.ts';
import type { AnyRoute } from './route.ts';

export function docsPage(routes: AnyRoute[]): string {
  const tags = [...new Set(routes.map((route) => route.tag))];
  const sections = tags.map((tag) => {
    const rows = routes
      .filter((route) => route.tag === tag)
      .map((route) => {
        const access = route.access === 'public' ? 'public' : route.access.join(', ');
        const statuses = Object.entries(route.responses)
          .map(([status, response]) => `<li><code>${status}</code> ${escapeHtml(response.description)}</li>`)
          .join('');
        return `<tr><td><code>${route.method.toUpperCase()} ${escapeHtml(route.path)}</code></td><td>${escapeHtml(access)}</td><td>${escapeHtml(route.summary)}<ul>${statuses}</ul></td></tr>`;
      })
      .join('\n');
    return `<h2>${escapeHtml(tag)}</h2>\n<table><tr><th>Endpoint</th><th>Scopes</th><th>What it does</th></tr>\n${rows}\n</table>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Referral engine API</title>
<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.5rem;text-align:left;vertical-align:top}code{white-space:nowrap}ul{margin:.3rem 0;padding-left:1.2rem;color:#555}</style>
</head><body>
<h1>Referral engine API</h1>
<p>JSON in and out; money in integer minor units with a lowercase currency; errors as <code>application/problem+json</code>.
Authenticate with <code>Authorization: Bearer &lt;API key&gt;</code>. The machine-readable description is at <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join('\n')}
</body></html>
`;
}
