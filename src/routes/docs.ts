/**
 * GET /docs: the API reference, Scalar's (@scalar/api-reference) rendering of the hub's own
 * /openapi.json, with each operation's parameters, schemas, example requests and responses, and
 * an in-page client that calls this deployment. Everything comes from the hub's static assets:
 * Scalar's standalone bundle at /vendor/scalar/standalone.js (copied from node_modules by
 * scripts/vendor-scalar.ts at `npm install` and before a deploy; git-ignored) and its
 * configuration, public/ui/docs.js (no CDN, no fonts or proxy of Scalar's, no telemetry), so it
 * works offline. The page has no inline script (docs.js runs first and makes the reference once
 * the deferred bundle has run); Scalar (Vue) writes inline styles at run time, so this page alone
 * is answered with DOCS_CSP (src/middleware/security-headers.ts): the page policy plus
 * `style-src 'unsafe-inline'`.
 */
import type { Context } from "hono";
import { DOCS_CSP, setPagePolicy } from "../middleware/security-headers.ts";

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API reference</title>
<script src="/ui/docs.js"></script>
<script src="/vendor/scalar/standalone.js" defer></script>
</head><body>
<noscript>The API reference needs JavaScript. The document itself is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</noscript>
<div id="app"></div>
</body></html>`;

/** Answers GET /docs under the reference's policy. */
export function docsPage(c: Context): Response {
  setPagePolicy(c, DOCS_CSP);
  return c.html(DOCS_HTML);
}
