// /docs: Swagger UI, from the swagger-ui-dist package, over /openapi.json, with every file the page
// loads served from our own origin: no CDN, and a Content-Security-Policy that runs scripts from
// 'self' only (Swagger UI starts from a file of ours, api/docs-init.js, not an inline script).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express from 'express';

const require = createRequire(import.meta.url);

/** The files the page loads, by the name it asks for under /docs/assets/. */
export const docsAssetFiles: ReadonlyMap<string, string> = new Map([
  ['swagger-ui.css', require.resolve('swagger-ui-dist/swagger-ui.css')],
  ['swagger-ui-bundle.js', require.resolve('swagger-ui-dist/swagger-ui-bundle.js')],
  ['init.js', fileURLToPath(new URL('./docs-init.js', import.meta.url))],
]);

// The policy of the pages the API serves with their own scripts and styles (/docs, /dashboard): only
// this origin. Swagger UI draws its icons from data: URIs; its inline styles are set through the DOM,
// which style-src does not govern.
export const selfServedPagePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral engine API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/**
 * Serves a self-served page's assets (/docs, /dashboard): only the files named, by the name the page
 * asks for; the rest of each package stays unpublished.
 */
export function pageAssets(files: ReadonlyMap<string, string>): express.Router {
  const router = express.Router();
  router.get('/:file', (req, res, next) => {
    const file = files.get(req.params.file);
    if (file) res.sendFile(file);
    else next();
  });
  return router;
}
