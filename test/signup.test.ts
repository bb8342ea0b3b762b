/**
 * Sign-up pages (002, SPEC §9): the public `POST /signup/{id}` endpoint — JSON, urlencoded and
 * multipart posts, validation against `form_fields` (400 naming the field, nothing stored),
 * honeypot, per-IP rate limit, CORS for configured origins, the browser redirect, contacts in
 * `records`, `lead.created` to an event endpoint, and the embed snippet on the integration view.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { SIGNUP_RATE_LIMIT } from "../src/services/signup.ts";
import { BASE, call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

const FORM_FIELDS = [
  { name: "email", label: "Email", type: "email", required: true },
  { name: "name", type: "text", required: true },
  { name: "phone", type: "phone" },
  { name: "plan", type: "select", options: ["free", "pro"] },
  { name: "terms", type: "checkbox", required: true },
];

let org: TestOrg;
let ipCounter = 0;
/** A fresh client IP, so tests never share a rate-limit window. */
const ip = () => `203.0.113.${++ipCounter % 250}-${crypto.randomUUID().slice(0, 8)}`;

beforeEach(async () => {
  org = await newOrg();
});

async function newPage(config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return newIntegration(org, {
    provider: "signup_page",
    name: `Page ${crypto.randomUUID().slice(0, 8)}`,
    config: {
      form_fields: JSON.stringify(FORM_FIELDS),
      redirect_url: "https://example.com/thanks",
      allowed_origins: "https://example.com\nhttps://landing.example.org/",
      apply_tag: "Newsletter",
      trigger_campaign_id: "camp_42",
      honeypot_field: "website_url",
      ...config,
    },
    ...extra,
  });
}

async function contacts(integrationId: string) {
  const r = await env.DB.prepare("SELECT * FROM records WHERE integration_id = ? AND entity = 'contacts'")
    .bind(integrationId)
    .all<{ id: string; external_id: string; data: string }>();
  return r.results.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
}

const valid = {
  email: "Ada@Example.com",
  name: "Ada Lovelace",
  phone: "+44 20 7946 0958",
  plan: "pro",
  terms: true,
  not_a_field: "dropped",
};

/** A form post that does not follow the redirect (the harness's `call` follows it). */
async function formPost(id: string, body: BodyInit, headers: Record<string, string> = {}) {
  const h = new Headers({ "cf-connecting-ip": ip(), ...headers });
  if (typeof body === "string") h.set("content-type", "application/x-www-form-urlencoded");
  const res = await exports.default.fetch(
    new Request(`${BASE}/signup/${id}`, { method: "POST", headers: h, body, redirect: "manual" }),
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function post(id: string, body: unknown, headers: Record<string, string> = {}) {
  return call("POST", `/signup/${id}`, { body, headers: { "cf-connecting-ip": ip(), ...headers } });
}

describe("POST /signup/{id}", () => {
  it("a valid JSON post creates one tagged contact and answers 201 with ids", async () => {
    const page = await newPage();
    const r = await post(page.id, valid);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ ok: true, contact_id: expect.any(String), lead_id: expect.any(String) });
    const rows = await contacts(page.id);
    expect(rows).toHaveLength(1);
    const [c] = rows;
    expect(c?.id).toBe(r.json.contact_id);
    expect(c?.external_id).toBe("ada@example.com");
    expect(c?.data).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone: "+442079460958",
      plan: "pro",
      terms: true,
      source: "signup_page",
      tags: ["Newsletter"],
      external_provider: "signup_page",
    });
    expect(c?.data).not.toHaveProperty("not_a_field");

    // The same person again: still one contact, the tag not repeated.
    const again = await post(page.id, { ...valid, name: "Ada King" });
    expect(again.status).toBe(201);
    expect(again.json.contact_id).toBe(r.json.contact_id);
    const after = await contacts(page.id);
    expect(after).toHaveLength(1);
    expect(after[0]?.data).toMatchObject({ name: "Ada King", tags: ["Newsletter"] });
  });

  it("a browser form post is redirected 303 to redirect_url; multipart works too", async () => {
    const page = await newPage();
    const form = new URLSearchParams({ email: "grace@example.com", name: "Grace Hopper", terms: "on" });
    const r = await formPost(page.id, form.toString(), { accept: "text/html,application/xhtml+xml" });
    expect(r.status, r.text).toBe(303);
    expect(r.headers.get("location")).toBe("https://example.com/thanks");

    const fd = new FormData();
    fd.set("email", "katherine@example.com");
    fd.set("name", "Katherine Johnson");
    fd.set("terms", "on");
    const m = await call("POST", `/signup/${page.id}`, {
      raw: fd,
      headers: { accept: "application/json", "cf-connecting-ip": ip() },
    });
    expect(m.status, m.text).toBe(201);
    expect((await contacts(page.id)).map((c) => c.external_id).sort()).toEqual([
      "grace@example.com",
      "katherine@example.com",
    ]);
  });

  it("a form post without redirect_url gets a thank-you page", async () => {
    const page = await newPage({ redirect_url: "" });
    const r = await call("POST", `/signup/${page.id}`, {
      raw: new URLSearchParams({ email: "a@example.com", name: "A", terms: "on" }).toString(),
      contentType: "application/x-www-form-urlencoded",
      headers: { "cf-connecting-ip": ip() },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("missing required fields and bad email/phone/select are a 400 naming each field, nothing stored", async () => {
    const page = await newPage();
    const missing = await post(page.id, { name: "No Email" });
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe("INVALID_FIELD");
    expect(missing.json.issues.map((i: { path: string }) => i.path).sort()).toEqual(["email", "terms"]);

    const bad = await post(page.id, { ...valid, email: "not-an-email", phone: "12345", plan: "gold" });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { path: string }) => i.path).sort()).toEqual(["email", "phone", "plan"]);
    expect(bad.json.error).toMatch(/email/);
    expect(await contacts(page.id)).toEqual([]);
  });

  it("malformed JSON is 400, other content types 415, bodies over 64 KiB 413", async () => {
    const page = await newPage();
    const h = { "cf-connecting-ip": ip() };
    const broken = await call("POST", `/signup/${page.id}`, {
      raw: "{nope",
      contentType: "application/json",
      headers: h,
    });
    expect(broken.status).toBe(400);
    const text = await call("POST", `/signup/${page.id}`, {
      raw: "hi",
      contentType: "text/plain",
      headers: h,
    });
    expect(text.status).toBe(415);
    const big = await call("POST", `/signup/${page.id}`, {
      raw: JSON.stringify({ ...valid, name: "x".repeat(70 * 1024) }),
      contentType: "application/json",
      headers: h,
    });
    expect(big.status).toBe(413);
    expect(await contacts(page.id)).toEqual([]);
  });

  it("a filled honeypot answers like a success and stores nothing", async () => {
    const page = await newPage();
    const r = await post(page.id, { ...valid, website_url: "http://spam.example" });
    expect(r.status).toBe(201);
    expect(r.json.ok).toBe(true);
    const form = await formPost(
      page.id,
      new URLSearchParams({ email: "bot@example.com", website_url: "x" }).toString(),
      { accept: "text/html" },
    );
    expect(form.status).toBe(303);
    expect(await contacts(page.id)).toEqual([]);
    const events = await call("GET", "/api/events?type=lead.created", { key: org.adminKey });
    expect(JSON.stringify(events.json)).not.toContain(page.id);
  });

  it("auto_create_contact false stores no contact but still answers 201", async () => {
    const page = await newPage({ auto_create_contact: false });
    const r = await post(page.id, valid);
    expect(r.status).toBe(201);
    expect(r.json.contact_id).toBeNull();
    expect(await contacts(page.id)).toEqual([]);
  });

  it("rate limits per client IP: 429 with Retry-After past the limit", async () => {
    const page = await newPage();
    const addr = ip();
    for (let i = 0; i < SIGNUP_RATE_LIMIT.limit; i++) {
      const r = await post(page.id, { ...valid, email: `u${i}@example.com` }, { "cf-connecting-ip": addr });
      expect(r.status, r.text).toBe(201);
    }
    const over = await post(page.id, valid, { "cf-connecting-ip": addr });
    expect(over.status).toBe(429);
    expect(over.json.code).toBe("RATE_LIMITED");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another client is not limited.
    expect((await post(page.id, valid)).status).toBe(201);
  });

  it("CORS: preflight and answers carry Allow-Origin only for allowed origins", async () => {
    const page = await newPage();
    const ok = await call("OPTIONS", `/signup/${page.id}`, {
      headers: {
        origin: "https://landing.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://landing.example.org");
    expect(ok.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Content-Type/i);

    const no = await call("OPTIONS", `/signup/${page.id}`, {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(no.headers.get("access-control-allow-origin")).toBeNull();

    const allowed = await post(page.id, valid, { origin: "https://example.com" });
    expect(allowed.status).toBe(201);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://example.com");
    const invalid = await post(page.id, { email: "x" }, { origin: "https://example.com" });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("access-control-allow-origin")).toBe("https://example.com");
    const other = await post(page.id, valid, { origin: "https://evil.example" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("inactive, unknown and non-signup integrations are 404", async () => {
    const inactive = await newPage({}, { is_active: false });
    expect((await post(inactive.id, valid)).status).toBe(404);
    expect((await call("OPTIONS", `/signup/${inactive.id}`)).status).toBe(404);
    expect(await contacts(inactive.id)).toEqual([]);
    const other = await newIntegration(org, { provider: "sendgrid", name: "Mail", config: {} });
    expect((await post(other.id, valid)).status).toBe(404);
    expect((await post(crypto.randomUUID(), valid)).status).toBe(404);
    expect((await post("not-a-uuid", valid)).status).toBe(404);
  });

  it("list-of-names form_fields are optional text; defaults apply without form_fields", async () => {
    const names = await newPage({ form_fields: JSON.stringify(["email", "name", "company"]) });
    const r = await post(names.id, { company: "ACME" });
    expect(r.status, r.text).toBe(201);
    const [c] = await contacts(names.id);
    expect(c?.data).toMatchObject({ company: "ACME", source: "signup_page" });

    const defaults = await newPage({ form_fields: "" });
    const missing = await post(defaults.id, { name: "Nobody" });
    expect(missing.status).toBe(400);
    expect(missing.json.issues).toEqual([{ path: "email", message: "required" }]);
  });
});

describe("a page's leads: search and CSV export", () => {
  it("the records API searches leads by any value and exports them as spreadsheet-safe CSV", async () => {
    const page = await newPage();
    await post(page.id, valid);
    await post(page.id, {
      ...valid,
      email: "grace@example.com",
      name: 'Grace, "Amazing" Hopper',
      plan: "free",
    });
    await post(page.id, { ...valid, email: "eve@example.com", name: '=HYPERLINK("http://evil")' });
    const path = `/api/integrations/${page.id}/records/contacts`;

    const found = await call("GET", `${path}?q=HOPPER`, { key: org.adminKey });
    expect(found.status).toBe(200);
    expect(found.json.records.map((r: { external_id: string }) => r.external_id)).toEqual([
      "grace@example.com",
    ]);
    // Keys are not values: every lead has an `email` key, none has "email" in a value.
    const keys = await call("GET", `${path}?q=external_provider`, { key: org.adminKey });
    expect(keys.json.records).toEqual([]);
    // LIKE's wildcards match themselves.
    const wild = await call("GET", `${path}?q=%25`, { key: org.adminKey });
    expect(wild.json.records).toEqual([]);

    const csv = await call("GET", `${path}?format=csv`, { key: org.adminKey });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="contacts.csv"');
    expect(csv.headers.get("x-next-cursor")).toBeNull();
    const lines = csv.text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    const header = (lines[0] ?? "").split(",");
    expect(header.slice(0, 4)).toEqual(["id", "external_id", "created_at", "updated_at"]);
    expect(header).toEqual(expect.arrayContaining(["email", "name", "phone", "plan", "tags"]));
    expect(lines).toHaveLength(5);
    expect(csv.text).toContain('"Grace, ""Amazing"" Hopper"');
    // A formula is written as text, never run by the spreadsheet that opens the file.
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv.text).toContain('"[""Newsletter""]"');

    const filtered = await call("GET", `${path}?format=csv&q=grace`, { key: org.adminKey });
    expect(filtered.text.split("\r\n")).toHaveLength(3);
  });

  it("an unknown format, a member of another organization or no key reveal nothing", async () => {
    const page = await newPage();
    await post(page.id, valid);
    const path = `/api/integrations/${page.id}/records/contacts?format=csv`;
    const bad = await call("GET", `/api/integrations/${page.id}/records/contacts?format=xlsx`, {
      key: org.adminKey,
    });
    expect(bad.status).toBe(400);
    const other = await newOrg();
    expect((await call("GET", path, { key: other.adminKey })).status).toBe(404);
    expect((await call("GET", path)).status).toBe(401);
  });
});

describe("lead.created", () => {
  it("reaches the organization's event endpoint with the campaign id", async () => {
    const bucket = `b-${crypto.randomUUID()}`;
    const ep = await call("POST", "/api/event-endpoints", {
      key: org.adminKey,
      body: { url: `${BASE}/sandbox/_receiver/${bucket}`, event_types: ["lead.created"] },
    });
    expect(ep.status, ep.text).toBe(201);
    const page = await newPage();
    const r = await post(page.id, valid);
    expect(r.status).toBe(201);

    const until = Date.now() + 15_000;
    let requests: { body: string }[] = [];
    while (!requests.length) {
      if (Date.now() > until) throw new Error("lead.created never reached the receiver");
      await new Promise((res) => setTimeout(res, 100));
      requests = (await call("GET", `/sandbox/_receiver/${bucket}/requests`)).json.requests;
    }
    const event = JSON.parse(requests[0]?.body ?? "{}");
    expect(event.type).toBe("lead.created");
    expect(event.data).toMatchObject({
      integration_id: page.id,
      provider: "signup_page",
      lead_id: r.json.lead_id,
      contact_id: r.json.contact_id,
      campaign_id: "camp_42",
      source: "signup_page",
      contact: { email: "ada@example.com", name: "Ada Lovelace", phone: "+442079460958" },
      answers: { email: "ada@example.com", plan: "pro", terms: true },
    });
  });
});

describe("the embed snippet", () => {
  it("the integration view shows signup_url and an embeddable form with the honeypot hidden", async () => {
    const page = await newPage();
    expect(page.signup_url).toBe(`${BASE}/signup/${page.id}`);
    const html: string = page.embed_html;
    expect(html).toContain(`action="${BASE}/signup/${page.id}"`);
    expect(html).toMatch(/<input type="email" id="[^"]+-email" name="email" autocomplete="email" required>/);
    expect(html).toMatch(/<label for="[^"]+-email">Email/);
    expect(html).toContain('<option value="pro">pro</option>');
    expect(html).toMatch(/aria-hidden="true"[^>]*>.*name="website_url" tabindex="-1"/);
    expect(html).toContain("<script>");
    expect(html).not.toMatch(/<script[^>]+src=|<link /);

    const got = await call("GET", `/api/integrations/${page.id}`, { key: org.adminKey });
    expect(got.json.integration.signup_url).toBe(page.signup_url);
    const other = await newIntegration(org, { provider: "sendgrid", name: "Mail2", config: {} });
    expect(other).not.toHaveProperty("signup_url");
  });
});

/** Every element an embed snippet may contain; anything else was injected. */
const EMBED_TAGS = new Set([
  "form",
  "p",
  "label",
  "input",
  "span",
  "textarea",
  "select",
  "option",
  "button",
  "div",
  "br",
  "script",
]);

/** Parses HTML with the runtime's HTML parser: the tag of every element, and the text of each script. */
async function parseHtml(html: string) {
  const tags: string[] = [];
  const attrs: string[] = [];
  const scripts: string[] = [];
  let current = "";
  await new HTMLRewriter()
    .on("*", {
      element(e) {
        tags.push(e.tagName);
        for (const a of e.attributes) attrs.push(a[0] ?? "");
        if (e.tagName === "script") {
          current = "";
          scripts.push("");
        }
      },
    })
    .on("script", {
      text(t) {
        current += t.text;
        if (t.lastInTextNode) scripts[scripts.length - 1] = current;
      },
    })
    .transform(new Response(html))
    .text();
  return { tags, attrs, scripts };
}

const HOSTILE = [
  "</script><img src=x onerror=alert(1)>",
  '"><b id=pwn onmouseover=alert(2)>x</b>',
  "<!--<script>alert(3)</script>",
  "' autofocus onfocus='alert(4)",
  "\u2028\u2029</SCRIPT >",
];

describe("hostile stored values", () => {
  it("a redirect_url with CR/LF, a script scheme or markup is refused when written: 400, nothing stored", async () => {
    for (const redirect_url of [
      "https://example.com/thanks\r\nSet-Cookie: pwned=1",
      "https://example.com/\nx",
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "/relative/thanks",
      "https://example.com/</script><img src=x onerror=alert(1)>",
    ]) {
      const before = await env.DB.prepare("SELECT count(*) AS n FROM integrations WHERE org_id = ?")
        .bind(org.orgId)
        .first<{ n: number }>();
      const r = await call("POST", "/api/integrations", {
        key: org.adminKey,
        body: { provider: "signup_page", name: `Bad ${crypto.randomUUID()}`, config: { redirect_url } },
      });
      expect(r.status, `${JSON.stringify(redirect_url)} → ${r.text}`).toBe(400);
      expect(r.json.issues[0].path).toBe("config.redirect_url");
      const compat = await call("POST", "/create-organization-integration", {
        key: org.adminKey,
        body: {
          integration_type: "signup_page",
          name: `Bad ${crypto.randomUUID()}`,
          config: { redirect_url },
        },
      });
      expect(compat.status, compat.text).toBe(400);
      const after = await env.DB.prepare("SELECT count(*) AS n FROM integrations WHERE org_id = ?")
        .bind(org.orgId)
        .first<{ n: number }>();
      expect(after?.n).toBe(before?.n);
    }
    const page = await newPage();
    const put = await call("PUT", `/api/integrations/${page.id}`, {
      key: org.adminKey,
      body: { config: { redirect_url: "https://example.com/x\r\nLocation: https://evil.example" } },
    });
    expect(put.status).toBe(400);
    const configure = await call("POST", `/api/integrations/${page.id}/configure/signup`, {
      key: org.adminKey,
      body: { redirect_url: "https://example.com/x\r\n" },
    });
    expect(configure.status).toBe(400);
    const got = await call("GET", `/api/integrations/${page.id}`, { key: org.adminKey });
    expect(got.json.integration.config.redirect_url).toBe("https://example.com/thanks");
  });

  it("a hostile redirect_url already stored never reaches a header: the form post falls back safely", async () => {
    const page = await newPage();
    for (const bad of ["https://example.com/x\r\nSet-Cookie: pwned=1", "javascript:alert(1)"]) {
      await env.DB.prepare(
        "UPDATE integrations SET config = json_set(config, '$.redirect_url', ?) WHERE id = ?",
      )
        .bind(bad, page.id)
        .run();
      const form = new URLSearchParams({
        email: `e${crypto.randomUUID().slice(0, 6)}@example.com`,
        name: "N",
        terms: "on",
      });
      const r = await formPost(page.id, form.toString(), { accept: "text/html" });
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get("location")).toBeNull();
      expect(r.headers.get("set-cookie")).toBeNull();
      expect(r.text).toContain("Thank you");
      const view = await call("GET", `/api/integrations/${page.id}`, { key: org.adminKey });
      expect(view.status).toBe(200);
      const { scripts } = await parseHtml(view.json.integration.embed_html);
      expect(scripts).toHaveLength(1);
      expect(scripts[0]).not.toContain("javascript:");
    }
  });

  it.each(HOSTILE)("embed_html cannot be broken out of by %j in any field", async (evil) => {
    const page = await newPage({
      form_fields: JSON.stringify([
        { name: "email", label: evil, type: "email", required: true },
        { name: "plan", label: evil, type: "select", options: [evil, "pro"] },
        { name: "note", label: evil, type: "textarea", placeholder: evil },
        { name: "ok", label: evil, type: "checkbox" },
      ]),
      apply_tag: evil,
      honeypot_field: "website_url",
    });
    // The write path refuses markup in redirect_url, so a hostile one is planted as stored data.
    await env.DB.prepare(
      "UPDATE integrations SET config = json_set(config, '$.redirect_url', ?, '$.honeypot_field', ?) WHERE id = ?",
    )
      .bind(`https://example.com/${evil}`, evil, page.id)
      .run();
    const views = [
      (await call("GET", `/api/integrations/${page.id}`, { key: org.adminKey })).json.integration,
      (await call("GET", `/api/integrations?type=signup_page`, { key: org.adminKey })).json.integrations.find(
        (i: { id: string }) => i.id === page.id,
      ),
    ];
    for (const view of views) {
      const html: string = view.embed_html;
      const { tags, attrs, scripts } = await parseHtml(html);
      expect(
        tags.filter((t) => !EMBED_TAGS.has(t)),
        html,
      ).toEqual([]);
      expect(tags.filter((t) => t === "script")).toHaveLength(1);
      expect(tags.filter((t) => t === "form")).toHaveLength(1);
      expect(
        attrs.filter((a) => /^on|^autofocus$/i.test(a)),
        html,
      ).toEqual([]);
      const script = scripts[0] ?? "";
      expect(script).not.toMatch(/<\/script|<!--|\u2028|\u2029/i);
      expect(html.split("</script>")).toHaveLength(2);
      // The script still parses as JavaScript.
      expect(() => new Function(script)).not.toThrow();
    }
  });
});
