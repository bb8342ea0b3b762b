/**
 * Security headers on every answer the worker makes. HTML pages (/docs, OAuth callback pages,
 * sign-up thank-you pages, sandbox pages) get a Content-Security-Policy that runs only the
 * hub's own script and style files (no inline code), `nosniff`, no referrer, and no framing
 * (a sign-up page: only by the origins it allows). Everything else (JSON) gets `nosniff` and a
 * policy that loads nothing. The static web UI gets the same page headers from
 * `public/_headers`, which Workers static assets apply; test/security-headers.test.ts checks
 * that both say the same. One page is answered with a wider policy: /docs (DOCS_CSP), whose
 * reference is drawn by Scalar, which makes inline styles at run time.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";

const PAGE_DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
];

/**
 * The policy of a page that may be framed by `frameAncestors` (none when empty); `widen` replaces
 * the sources of the directives it names (the /docs page's, below).
 */
export function pageCsp(frameAncestors: readonly string[] = [], widen: Record<string, string> = {}): string {
  const sources = frameAncestorSources(frameAncestors);
  const directives = PAGE_DIRECTIVES.map((d) => {
    const name = d.split(" ")[0] ?? "";
    return name in widen ? `${name} ${widen[name]}` : d;
  });
  return [...directives, `frame-ancestors ${sources.length ? sources.join(" ") : "'none'"}`].join("; ");
}

/** The policy of the hub's pages, which nothing may frame. `public/_headers` sends the same. */
export const PAGE_CSP = pageCsp();

/**
 * The policy of the /docs page (src/routes/docs.ts) only: the page policy, except that Scalar's
 * reference (a Vue app) may write <style> elements and style attributes. Scripts are still
 * the hub's own files alone (no inline script, no eval), and nothing may frame it.
 */
export const DOCS_CSP = pageCsp([], { "style-src": "'self' 'unsafe-inline'" });

const policies = new WeakMap<Context, string>();

/** Answers the page this request gets with `policy` (a whole page policy, such as DOCS_CSP). */
export function setPagePolicy(c: Context, policy: string): void {
  policies.set(c, policy);
}

/** The policy of answers that are not pages: load nothing, be framed by nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const ORIGIN_RE = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

/**
 * The frame-ancestors sources for stored origins: each must be exactly an http(s) origin (a
 * trailing slash and letter case are forgiven); anything else (a path, credentials, a quote, a
 * `;`, a line break, another scheme) is dropped, so a stored value can never add a directive or
 * a header. A lone `*` (any origin, as `allowed_origins` means it) is kept.
 */
export function frameAncestorSources(origins: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of origins) {
    const v = raw.trim().replace(/\/$/, "").toLowerCase();
    if (v === "*" || ORIGIN_RE.test(v)) {
      if (!out.includes(v)) out.push(v);
    }
  }
  return out;
}

const framing = new WeakMap<Context, readonly string[]>();

/** Lets the page this request answers be framed by `origins` (a sign-up page's allowed origins). */
export function allowFraming(c: Context, origins: readonly string[]): void {
  framing.set(c, origins);
}

/** Sets the headers on whatever the routes, the error handler or the sandbox answered. */
export const securityHeaders = createMiddleware(async (c, next) => {
  await next();
  const html = /^text\/html\b/i.test(c.res.headers.get("content-type") ?? "");
  const frameAncestors = html ? frameAncestorSources(framing.get(c) ?? []) : [];
  const set: Record<string, string> = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": html ? (policies.get(c) ?? pageCsp(frameAncestors)) : API_CSP,
  };
  // Pages and redirects never pass their URL (a connect session, an OAuth code) on.
  if (!c.res.headers.has("Referrer-Policy")) set["Referrer-Policy"] = "no-referrer";
  if (html && !frameAncestors.length) set["X-Frame-Options"] = "DENY";
  try {
    for (const [k, v] of Object.entries(set)) c.res.headers.set(k, v);
  } catch {
    // Headers of a fetched response are immutable: answer with a copy.
    const res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(set)) res.headers.set(k, v);
    c.res = res;
  }
});
