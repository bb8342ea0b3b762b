/**
 * Security headers: every HTML page the hub serves (the web UI and connect page from static
 * assets, /docs, OAuth callback pages, sign-up thank-you pages, sandbox pages) carries a
 * Content-Security-Policy without inline scripts, nosniff, a Referrer-Policy and framing rules,
 * and contains no inline script, handler or style; JSON answers carry nosniff. Every page but
 * /docs has the strict page policy; /docs (Scalar's reference) differs from it in one
 * directive only, `style-src 'self' 'unsafe-inline'`.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DOCS_CSP, frameAncestorSources, PAGE_CSP, pageCsp } from "../src/middleware/security-headers.ts";
import { BASE, call, newIntegration, newOrg } from "./harness.ts";

/** The directives of a policy, by name. */
function directives(policy: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (policy ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}

/** Asserts the headers every hub page carries; `framing` is the page's frame-ancestors. */
function expectPageHeaders(headers: Headers, framing: string[] = ["'none'"]) {
  const csp = headers.get("content-security-policy");
  expect(csp, "Content-Security-Policy").toBeTruthy();
  const d = directives(csp);
  expect(d.get("script-src")).toEqual(["'self'"]);
  expect(d.get("style-src")).toEqual(["'self'"]);
  expect(d.get("default-src")).toEqual(["'none'"]);
  expect(d.get("object-src")).toEqual(["'none'"]);
  expect(d.get("base-uri")).toEqual(["'none'"]);
  expect(d.get("frame-ancestors")).toEqual(framing);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*\s*;|data:/);
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("no-referrer");
  if (framing[0] === "'none'") expect(headers.get("x-frame-options")).toBe("DENY");
  else expect(headers.get("x-frame-options")).toBeNull();
}

/** Asserts a page runs no inline script, handler, `javascript:` URL or inline style. */
function expectNoInlineCode(html: string) {
  expect(html).toMatch(/<html/i);
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect(tag).toMatch(/\bsrc=/i);
  expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/i);
  expect(html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/javascript:/i);
  expect(html).not.toMatch(/<style\b/i);
  expect(html).not.toMatch(/<[^>]+\sstyle\s*=/i);
}

/** A static asset, served the way a browser gets it (Workers static assets, `public/_headers`). */
async function asset(path: string) {
  const res = await env.ASSETS.fetch(new Request(`${BASE}${path}`));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("HTML pages", () => {
  it.each([
    ["the web UI", "/integrations"],
    ["the connect page", "/integrations?session=sbcs_0123456789abcdef"],
    ["the home page", "/"],
  ])("%s (static assets) carries the page policy and no inline code", async (_name, path) => {
    const r = await asset(path);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers);
    expect(r.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expectNoInlineCode(r.text);
  });

  it("the UI's scripts and styles are served with nosniff and their own types", async () => {
    for (const [path, type] of [
      ["/ui/integrations.js", /javascript/],
      ["/ui/integrations.css", /text\/css/],
      ["/ui/docs.js", /javascript/],
      ["/vendor/scalar/standalone.js", /javascript/],
      ["/ui/page.css", /text\/css/],
    ] as const) {
      const r = await asset(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toMatch(type);
      expect(r.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("/docs loads Scalar and its configuration from the hub, inlines no script, and only its styles may be inline", async () => {
    const r = await call("GET", "/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.headers.get("content-security-policy")).toBe(DOCS_CSP);
    // The page policy, but for style-src: the same directives, the same sources elsewhere.
    const docs = directives(r.headers.get("content-security-policy"));
    const page = directives(PAGE_CSP);
    expect([...docs.keys()]).toEqual([...page.keys()]);
    for (const [name, values] of page)
      expect(docs.get(name), name).toEqual(name === "style-src" ? ["'self'", "'unsafe-inline'"] : values);
    expect(r.headers.get("content-security-policy")).not.toMatch(/unsafe-eval|data:|blob:|https?:/);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
    expectNoInlineCode(r.text);
    expect(r.text).toContain(
      '<script src="/ui/docs.js"></script>\n<script src="/vendor/scalar/standalone.js" defer></script>',
    );
    expect(r.text).not.toMatch(/https?:\/\//);
    // The bundle (copied by scripts/vendor-scalar.ts) and the configuration are static assets.
    const bundle = await asset("/vendor/scalar/standalone.js");
    expect(bundle.status).toBe(200);
    expect(bundle.text).toContain("createApiReference");
    const config = await asset("/ui/docs.js");
    expect(config.text).toContain('createApiReference("#app"');
    expect(config.text).toContain('url: "/openapi.json"');
    expect(config.text).toContain("withDefaultFonts: false");
    expect(config.text).toContain("telemetry: false");
    expect(config.text).not.toMatch(/proxyUrl|https?:\/\//);
  });

  it("the OAuth callback's refusal page carries the page policy and no inline code", async () => {
    const r = await call("GET", "/api/integrations/hubspot/callback?state=forged&code=x", {
      headers: { accept: "text/html" },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers);
    expect(r.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expectNoInlineCode(r.text);
    expect(r.text).toContain('<link rel="stylesheet" href="/ui/page.css">');
  });

  it("the OAuth callback's JSON refusal carries nosniff", async () => {
    const r = await call("GET", "/api/integrations/hubspot/callback?state=forged", {
      headers: { accept: "application/json" },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("a sandbox page carries the page policy and no inline code", async () => {
    const r = await call("GET", "/sandbox/hubspot/oauth/authorize");
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers);
    expect(r.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expectNoInlineCode(r.text);
  });

  it("a sign-up page's thank-you page may be framed by the origins the page allows, and only by them", async () => {
    const org = await newOrg();
    const page = await newIntegration(org, {
      provider: "signup_page",
      name: `Page ${crypto.randomUUID().slice(0, 8)}`,
      config: { allowed_origins: "https://shop.example\nhttps://www.shop.example/" },
    });
    const r = await call("POST", `/signup/${page.id}`, {
      raw: new URLSearchParams({ email: "ada@example.com" }).toString(),
      contentType: "application/x-www-form-urlencoded",
      headers: { accept: "text/html", "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}` },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers, ["https://shop.example", "https://www.shop.example"]);
    expectNoInlineCode(r.text);
  });

  it("a sign-up page without allowed origins may not be framed", async () => {
    const org = await newOrg();
    const page = await newIntegration(org, {
      provider: "signup_page",
      name: `Page ${crypto.randomUUID().slice(0, 8)}`,
      config: {},
    });
    const r = await call("POST", `/signup/${page.id}`, {
      raw: new URLSearchParams({ email: "ada@example.com" }).toString(),
      contentType: "application/x-www-form-urlencoded",
      headers: { accept: "text/html", "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}` },
    });
    expect(r.status, r.text).toBe(200);
    expectPageHeaders(r.headers);
  });
});

describe("frame-ancestors from stored origins", () => {
  it("keeps only well-formed http(s) origins and never lets a value add a directive", () => {
    expect(
      frameAncestorSources([
        "https://shop.example",
        "HTTPS://Www.Shop.Example/",
        "https://a.example; script-src 'unsafe-inline'",
        "https://b.example\r\nX-Injected: 1",
        "javascript:alert(1)",
        "data:text/html,x",
        "https://user:pw@c.example",
        "https://d.example/path",
        "'self'",
        "http://localhost:8080",
        "*",
      ]),
    ).toEqual(["https://shop.example", "https://www.shop.example", "http://localhost:8080", "*"]);
    const policy = pageCsp(["https://a.example; script-src *", "https://ok.example"]);
    expect(directives(policy).get("frame-ancestors")).toEqual(["https://ok.example"]);
    expect(directives(policy).get("script-src")).toEqual(["'self'"]);
    expect(pageCsp([])).toBe(PAGE_CSP);
  });
});

describe("JSON answers", () => {
  it.each([
    ["a public endpoint", "GET", "/health", 200],
    ["the provider catalog", "GET", "/api/integrations/providers", 200],
    ["an unauthenticated call", "GET", "/api/integrations", 401],
    ["an unknown route", "GET", "/no-such-route", 404],
  ])("%s carries nosniff", async (_name, method, path, status) => {
    const r = await call(method, path);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toMatch(/json/);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("an authenticated answer carries nosniff", async () => {
    const org = await newOrg();
    const r = await call("GET", "/api/integrations", { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
