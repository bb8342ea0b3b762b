/**
 * GET /docs: an API reference page rendered in the browser from /openapi.json by
 * public/ui/docs.js, styled by public/ui/docs.css. Served by the hub itself (no CDN, no inline
 * script or style), so it works offline and under the pages' CSP (script-src 'self').
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API reference</title>
<link rel="stylesheet" href="/ui/docs.css">
<script type="module" src="/ui/docs.js"></script>
</head><body>
<header><h1>Switchboard API reference</h1><p>Generated from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send <code>Authorization: Bearer &lt;api key&gt;</code>.</p></header>
<main id="root">Loading…</main>
</body></html>`;
