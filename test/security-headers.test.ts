/**
 * Security headers: every HTML page the hub serves (the web UI and connect page from static
 * assets, /docs, OAuth callback pages, sign-up thank-you pages, sandbox pages) carries a
 * Content-Security-Policy without inline scripts, nosniff, a Referrer-Policy and framing rules,
 * and contains no inline script, handler or style; JSON answers carry nosniff.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { frameAncestorSources, PAGE_CSP, pageCsp } from "../src/middleware/security-headers.ts";
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
      ["/ui/docs.css", /text\/css/],
      ["/ui/page.css", /text\/css/],
    ] as const) {
      const r = await asset(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toMatch(type);
      expect(r.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("/docs carries the page policy, loads its script and styles from the hub, and inlines none", async () => {
    const r = await call("GET", "/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers);
    expectNoInlineCode(r.text);
    expect(r.text).toContain('<script type="module" src="/ui/docs.js"></script>');
    expect(r.text).toContain('<link rel="stylesheet" href="/ui/docs.css">');
    expect(r.text).not.toMatch(/https?:\/\//);
    // What the script renders from is there.
    const docsJs = await asset("/ui/docs.js");
    expect(docsJs.text).toContain('fetch("/openapi.json")');
  });

  it("the OAuth callback's refusal page carries the page policy and no inline code", async () => {
    const r = await call("GET", "/api/integrations/hubspot/callback?state=forged&code=x", {
      headers: { accept: "text/html" },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expectPageHeaders(r.headers);
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
