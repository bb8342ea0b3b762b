/**
 * OAuth return and connect-page origins come from PUBLIC_URL, never from the request's Host:
 * a request that arrives under another host name still gets redirect URIs, connect links and
 * webhook URLs on PUBLIC_URL. In production (SANDBOX_ENABLED off) without PUBLIC_URL, starting
 * OAuth fails with a clear error and nothing is stored.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { newOrg } from "./harness.ts";

const EVIL = "https://evil.example";

/** A request as a hostile client sends it: another host name in the URL and the Host header. */
async function hostile(
  path: string,
  key: string,
  init: { method?: string; body?: unknown } = {},
  over: Partial<Env> = {},
) {
  const headers = new Headers({ authorization: `Bearer ${key}`, host: "evil.example" });
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`${EVIL}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...over } as Env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  return { status: res.status, text, json: json as any };
}

const states = async () =>
  ((await env.DB.prepare("SELECT count(*) AS n FROM oauth_states").first()) as { n: number }).n;

const PRODUCTION: Partial<Env> = {
  PUBLIC_URL: "",
  SANDBOX_ENABLED: "false",
  OAUTH_APPS: JSON.stringify({ hubspot: { client_id: "prod-client", client_secret: "prod-secret" } }),
};

describe("public origin: PUBLIC_URL, never the Host header", () => {
  it("OAuth start, connect sessions and webhook URLs stay on PUBLIC_URL under a hostile Host", async () => {
    const org = await newOrg();
    const start = await hostile("/api/integrations/hubspot/auth?format=json", org.adminKey);
    expect(start.status, start.text).toBe(200);
    const redirect = new URL(new URL(start.json.url).searchParams.get("redirect_uri") as string);
    expect(redirect.origin).toBe("https://hub.test");

    const returnTo = await hostile(
      `/api/integrations/hubspot/auth?format=json&return_to=${encodeURIComponent(`${EVIL}/steal`)}`,
      org.adminKey,
    );
    expect(returnTo.status, returnTo.text).toBe(400);

    const session = await hostile("/api/connect-sessions", org.adminKey, { method: "POST", body: {} });
    expect(session.status, session.text).toBe(201);
    expect(new URL(session.json.connect_url).origin).toBe("https://hub.test");

    const bot = await hostile("/api/integrations", org.adminKey, {
      method: "POST",
      body: { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef_origin" },
    });
    expect(bot.status, bot.text).toBe(201);
    expect(new URL(bot.json.integration.webhook_url).origin).toBe("https://hub.test");
  });

  it("in production without PUBLIC_URL, starting OAuth is a clear 503 and stores nothing", async () => {
    const org = await newOrg();
    const before = await states();
    const r = await hostile("/api/integrations/hubspot/auth?format=json", org.adminKey, {}, PRODUCTION);
    expect(r.status, r.text).toBe(503);
    expect(r.json).toMatchObject({ code: "NOT_CONFIGURED", error: expect.stringMatching(/PUBLIC_URL/) });
    expect(r.text).not.toContain("evil.example");
    expect(await states()).toBe(before);

    const session = await hostile(
      "/api/connect-sessions",
      org.adminKey,
      { method: "POST", body: {} },
      PRODUCTION,
    );
    expect(session.status, session.text).toBe(503);
    expect(session.json.error).toMatch(/PUBLIC_URL/);
  });
});
