/** The simulated authorization servers' pages (consent, error) and redirects. */
import type { Pending } from "./state.ts";

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A consent or error page. Like a provider's own, it loads nothing from the hub; the hub's page
 * policy (no inline style or script) then leaves it plain HTML.
 */
function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
</head>
<body><div class="card">${body}</div><p class="note">Switchboard provider sandbox</p></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/** The 400 page an authorization request that cannot be redirected gets. */
export const errorPage = (name: string, message: string) =>
  page(`${name} – error`, `<h1>Authorization error</h1><p id="error">${esc(message)}</p>`, 400);

/** The consent page, whose Approve and Deny forms POST back to `action`. */
export function consentPage(action: string, id: string, p: Pending): Response {
  const name = p.oauth.name;
  const scopes = p.scopes.length
    ? `<ul id="scopes">${p.scopes.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>`
    : `<p id="scopes">No specific permissions requested.</p>`;
  const form = (decision: string, label: string) =>
    `<form method="post" action="${esc(action)}"><input type="hidden" name="request" value="${esc(id)}">` +
    `<input type="hidden" name="decision" value="${decision}"><button type="submit" class="${decision}" name="${decision}">${label}</button></form>`;
  return page(
    `Authorize – ${name}`,
    `<h1>${esc(name)}</h1><p>The application <strong>${esc(p.clientId)}</strong> wants to access your ${esc(name)} account:</p>${scopes}` +
      `${form("approve", "Approve")}${form("deny", "Deny")}`,
  );
}

/** A 302 to `uri` with the given query parameters added. */
export function redirectWith(uri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return new Response(null, { status: 302, headers: { location: url.toString() } });
}
