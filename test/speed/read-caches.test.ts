/**
 * The isolate's cache of API keys and D1 sessions: a key revoked through the API stops at once;
 * one revoked by another isolate (straight in D1 here) stops within the cache's 30 s; every
 * answer carries a D1 bookmark, and a request that sends one back reads at least that new.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS, setKeyCacheClock } from "../../src/services/key-cache.ts";
import { ADMIN_TOKEN, call, newIntegration, newOrg } from "../harness.ts";

let restore: (() => number) | undefined;
afterEach(() => {
  if (restore) setKeyCacheClock(restore);
  restore = undefined;
});

async function keyIdOf(orgId: string, role: string) {
  const r = await call("GET", `/admin/organizations/${orgId}/api-keys`, { key: ADMIN_TOKEN });
  return (r.json.api_keys as { id: string; role: string }[]).find((k) => k.role === role)?.id as string;
}

describe("the API key cache", () => {
  it("a key revoked through the API is refused at once", async () => {
    const org = await newOrg();
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(200);
    const keyId = await keyIdOf(org.orgId, "member");
    const revoked = await call("DELETE", `/admin/organizations/${org.orgId}/api-keys/${keyId}`, {
      key: ADMIN_TOKEN,
    });
    expect(revoked.status).toBe(200);
    const after = await call("GET", "/api/integrations", { key: org.memberKey });
    expect(after.status).toBe(401);
    expect(after.json.error).toMatch(/revoked/);
  });

  it("a key revoked by another isolate stops working within the TTL, and not before it is read again", async () => {
    let now = Date.now();
    restore = setKeyCacheClock(() => now);
    const org = await newOrg();
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(200);
    const keyId = await keyIdOf(org.orgId, "member");
    // Another isolate revokes it: this one's cache does not hear of it.
    await env.DB.prepare("update api_keys set revoked_at = ? where id = ?")
      .bind(new Date().toISOString(), keyId)
      .run();
    now += KEY_CACHE_TTL_MS - 1;
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(200);
    now += 2;
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(401);
    expect(KEY_CACHE_TTL_MS).toBeLessThanOrEqual(30_000);
  });

  it("an organization deleted in this isolate takes its cached keys with it", async () => {
    const org = await newOrg();
    expect((await call("GET", "/api/integrations", { key: org.adminKey })).status).toBe(200);
    expect((await call("DELETE", `/admin/organizations/${org.orgId}`, { key: ADMIN_TOKEN })).status).toBe(
      200,
    );
    expect((await call("GET", "/api/integrations", { key: org.adminKey })).status).toBe(401);
  });

  it("the cached key keeps its role: a member key still cannot write", async () => {
    const org = await newOrg();
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(200);
    const w = await call("POST", "/api/integrations", {
      key: org.memberKey,
      body: { provider: "telegram", name: "x", bot_token: "123456:ABCdef_ghi-jkl" },
    });
    expect(w.status).toBe(403);
  });
});

describe("D1 sessions", () => {
  it("answers carry a bookmark, and a read that sends it back sees the write", async () => {
    const org = await newOrg();
    const created = await call("POST", "/api/integrations", {
      key: org.adminKey,
      body: { provider: "telegram", name: "Bookmarked", bot_token: "123456:ABCdef_ghi-jkl" },
    });
    expect(created.status).toBe(201);
    const bookmark = created.headers.get("x-d1-bookmark");
    expect(bookmark).toMatch(/^[0-9a-f-]+$/i);
    const read = await call("GET", `/api/integrations/${created.json.integration.id}`, {
      key: org.adminKey,
      headers: { "x-d1-bookmark": bookmark as string },
    });
    expect(read.status).toBe(200);
    expect(read.json.integration.name).toBe("Bookmarked");
    expect(read.headers.get("x-d1-bookmark")).toBeTruthy();
  });

  it("a malformed or unknown bookmark is not an error: the read starts at the primary", async () => {
    const org = await newOrg();
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: "Any",
      bot_token: "123456:ABCdef_ghi-jkl",
    });
    for (const b of [
      "not a bookmark!",
      "00000000-00000000-00000000-00000000000000000000000000000000",
      "x".repeat(500),
    ]) {
      const r = await call("GET", `/api/integrations/${bot.id}`, {
        key: org.adminKey,
        headers: { "x-d1-bookmark": b },
      });
      expect(r.status).toBe(200);
    }
  });
});

describe("the integration cache", () => {
  it("GET one integration may be served from the isolate's copy; a write here shows at once, a bookmark reads D1", async () => {
    const org = await newOrg();
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: "Cached",
      bot_token: "123456:ABCdef_ghi-jkl",
    });
    const first = await call("GET", `/api/integrations/${bot.id}`, { key: org.adminKey });
    expect(first.json.integration.name).toBe("Cached");
    // Another isolate renames it: this one's copy serves until its TTL...
    await env.DB.prepare("update integrations set name = ? where id = ?")
      .bind("Renamed elsewhere", bot.id)
      .run();
    const cached = await call("GET", `/api/integrations/${bot.id}`, { key: org.adminKey });
    expect(cached.json.integration.name).toBe("Cached");
    // ...except for a client that sends a bookmark: it reads D1.
    const fresh = await call("GET", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      headers: { "x-d1-bookmark": first.headers.get("x-d1-bookmark") as string },
    });
    expect(fresh.json.integration.name).toBe("Renamed elsewhere");
    // A write in this isolate drops the copy at once.
    const patched = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { name: "Renamed here" },
    });
    expect(patched.status).toBe(200);
    const after = await call("GET", `/api/integrations/${bot.id}`, { key: org.adminKey });
    expect(after.json.integration.name).toBe("Renamed here");
    // Another organization's key never sees it, cached or not.
    const other = await newOrg();
    expect((await call("GET", `/api/integrations/${bot.id}`, { key: other.adminKey })).status).toBe(404);
  });
});
