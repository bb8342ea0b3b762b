/**
 * Facebook Page through the sandbox: test connection (GET /me), Messenger sends
 * (POST /{page-id}/messages), the simulator's Graph strictness, and the shared Graph error
 * classification (by error.code, not the HTTP status); choosing the Page a user token manages
 * (GET /me/accounts), and the Page's insights synced as records.
 */
import { describe, expect, it } from "vitest";
import { send } from "../../src/providers/facebook/client.ts";
import { GRAPH_VERSION } from "../../src/providers/facebook/graph.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { facebook } from "../../src/sandbox/providers/facebook.ts";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";
import { allRecords, syncAndWait } from "../sync/helpers.ts";

const TOKEN = "EAAGsandboxPageToken123";

describe("facebook", () => {
  it("test connection calls GET /me with the Page token and names the Page", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "facebook", name: "Page", access_token: TOKEN });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: "Connected as Sandbox Page (id 100000000000001)" });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(TOKEN);
  });

  it("an invalid token fails the test with Meta's code 190 reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "facebook",
      name: "Page",
      access_token: "EAAGinvalid-token",
    });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason = "Facebook: Invalid OAuth access token - Cannot parse access token (code 190, HTTP 400)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("EAAGinvalid-token");
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { access_token: TOKEN } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends a Messenger message: 202 queued, then sent with Meta's mid; the sandbox got the exact request", async () => {
    const org = await newOrg();
    await newIntegration(org, {
      provider: "facebook",
      name: "Page",
      access_token: TOKEN,
      page_id: "100000000000001",
    });
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "messenger", to: "24680246802468", text: "Hello from Switchboard on Messenger" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "messenger", provider: "facebook" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^m_[A-Za-z0-9_-]+$/);
    const got = (await sandboxInbox("facebook")).find((m) => m.id === sent.provider_message_id);
    expect(got?.body).toEqual({
      recipient: { id: "24680246802468" },
      messaging_type: "RESPONSE",
      message: { text: "Hello from Switchboard on Messenger" },
    });
  });

  it("the simulator answers like Graph: no token, missing recipient, unversioned path", async () => {
    const path = `/sandbox/facebook/${GRAPH_VERSION}/me/messages`;
    const body = { recipient: { id: "123456" }, messaging_type: "RESPONSE", message: { text: "hi" } };
    const basic = await call("POST", path, { body, headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(400);
    expect(basic.json.error).toMatchObject({
      message: "An active access token must be used to query information about the current user.",
      type: "OAuthException",
      code: 2500,
      fbtrace_id: expect.any(String),
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const noRecipient = await call("POST", path, { headers: auth, body: { message: { text: "hi" } } });
    expect(noRecipient.status).toBe(400);
    expect(noRecipient.json.error).toMatchObject({
      message: "(#100) The parameter recipient is required",
      type: "OAuthException",
      code: 100,
    });
    // A text/plain body carries no Graph parameters at all.
    const plain = await call("POST", path, {
      headers: auth,
      raw: JSON.stringify(body),
      contentType: "text/plain",
    });
    expect(plain.json.error).toMatchObject({
      code: 100,
      message: "(#100) The parameter recipient is required",
    });
    const unversioned = await call("POST", "/sandbox/facebook/me/messages", { headers: auth, body });
    expect(unversioned.json.error).toMatchObject({
      code: 2500,
      message: "Unknown path components: /me/messages",
    });
  });

  describe("Graph error classification (client against the simulator)", () => {
    const requests: Request[] = [];
    const ctx = (token = TOKEN): ProviderContext => ({
      baseUrl: "https://graph.test",
      config: { page_id: "100000000000001" },
      secrets: { access_token: token },
      http: async (req) => {
        requests.push(req.clone());
        return facebook.fetch(req);
      },
      timeoutMs: 5_000,
    });
    const message = (text: string) => ({ id: "msg_1", channel: "messenger", to: "24680246802468", text });

    it("posts JSON to /{version}/{page-id}/messages with the token as a bearer", async () => {
      const result = await send(ctx(), message("direct"));
      expect(result.providerMessageId).toMatch(/^m_/);
      const req = requests.at(-1) as Request;
      expect(`${req.method} ${new URL(req.url).pathname}`).toBe(
        `POST /${GRAPH_VERSION}/100000000000001/messages`,
      );
      expect(req.headers.get("authorization")).toBe(`Bearer ${TOKEN}`);
      expect(req.headers.get("content-type")).toBe("application/json");
      expect(new URL(req.url).search).toBe("");
    });

    it("code 190 is auth, 613 is rate_limited with Meta's regain-access time, code 2 transient, 100 permanent", async () => {
      await expect(send(ctx("EAAGinvalid-token"), message("x"))).rejects.toMatchObject({
        kind: "auth",
        opts: { status: 400, code: 190 },
      });
      await expect(send(ctx(), message("slow down [sandbox:429]"))).rejects.toMatchObject({
        kind: "rate_limited",
        message: "Facebook: (#613) Calls to this api have exceeded the rate limit. (code 613, HTTP 400)",
        opts: { code: 613, retryAfterSeconds: 60 },
      });
      await expect(send(ctx(), message("down [sandbox:503]"))).rejects.toMatchObject({
        kind: "transient",
        opts: { status: 503, code: 2 },
      });
      await expect(send(ctx(), message("nobody [sandbox:400]"))).rejects.toMatchObject({
        kind: "permanent",
        message: "Facebook: (#100) No matching user found (code 100, HTTP 400)",
      });
    });
  });
});

describe("facebook pages and insights", () => {
  it("lists the Pages a user token manages without their tokens; choosing one stores its Page token", async () => {
    const org = await newOrg();
    const userToken = `EAAGuser${crypto.randomUUID().replace(/-/g, "")}`;
    const i = await newIntegration(org, { provider: "facebook", name: "Pages", access_token: userToken });
    const catalog = await call("GET", "/api/integrations/providers");
    const fb = catalog.json.providers.find((p: { id: string }) => p.id === "facebook");
    expect(fb.capabilities).toMatchObject({ accounts: "Pages", sync: ["insights"] });

    const listed = await call("GET", `/api/integrations/${i.id}/accounts`, { key: org.memberKey });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json).toEqual({
      label: "Pages",
      accounts: [
        { id: "100000000000001", name: "Sandbox Page", selected: false, details: expect.any(Object) },
        { id: "100000000000002", name: "Sandbox Cafe", selected: false, details: expect.any(Object) },
        { id: "100000000000003", name: "Sandbox Store", selected: false, details: expect.any(Object) },
      ],
    });
    expect(listed.json.accounts[1].details).toMatchObject({
      category: "Cafe",
      tasks: expect.arrayContaining(["ANALYZE"]),
    });
    // No Page token (nor the user token) leaves the hub.
    expect(listed.text).not.toContain("EAAGsbxPage");
    expect(listed.text).not.toContain(userToken);

    const path = `/api/integrations/${i.id}/accounts/select`;
    expect(
      (await call("POST", path, { key: org.memberKey, body: { account_id: "100000000000002" } })).status,
    ).toBe(403);
    const bad = await call("POST", path, { key: org.adminKey, body: { account_id: "999" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain("manages no Page with id 999");
    expect((await call("POST", path, { key: org.adminKey, body: { page: "x" } })).status).toBe(400);

    const chosen = await call("POST", path, { key: org.adminKey, body: { account_id: "100000000000002" } });
    expect(chosen.status, chosen.text).toBe(200);
    expect(chosen.json.integration.config).toMatchObject({
      page_id: "100000000000002",
      page_name: "Sandbox Cafe",
    });
    expect(chosen.json.integration.secrets).toEqual(
      expect.objectContaining({ access_token: "••••••", user_access_token: "••••••" }),
    );
    expect(chosen.text).not.toContain("EAAGsbxPage");
    // The stored access token is the Cafe's Page token: /me names the Page.
    const tested = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(tested.json).toMatchObject({
      ok: true,
      message: "Connected as Sandbox Cafe (id 100000000000002)",
    });
    // The user token stays, so the Pages can be listed again.
    const again = await call("GET", `/api/integrations/${i.id}/accounts`, { key: org.adminKey });
    expect(again.json.accounts.map((a: { selected: boolean }) => a.selected)).toEqual([false, true, false]);
    const logs = await call("GET", `/api/integrations/${i.id}/logs`, { key: org.adminKey });
    expect(JSON.stringify(logs.json)).toContain("account_selected");

    const other = await newIntegration(org, {
      provider: "sendgrid",
      name: "Mail",
      api_key: "SG.x",
      from_email: "a@b.co",
    });
    expect((await call("GET", `/api/integrations/${other.id}/accounts`, { key: org.adminKey })).status).toBe(
      400,
    );
  });

  it("syncs the chosen Page's daily metrics and its posts' metrics as insights records", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "facebook",
      name: "Insights",
      access_token: `EAAGuser${crypto.randomUUID().replace(/-/g, "")}`,
    });
    // Without a Page there is nothing to read.
    const none = await syncAndWait(org, i.id, "insights");
    expect(none.status).toBe("failed");
    expect(none.error_message).toContain("choose the Page first");

    const chosen = await call("POST", `/api/integrations/${i.id}/accounts/select`, {
      key: org.adminKey,
      body: { account_id: "100000000000003" },
    });
    expect(chosen.status).toBe(200);
    const job = await syncAndWait(org, i.id, "insights");
    expect(job, job.error_message).toMatchObject({ status: "success", mode: "full" });
    const records = await allRecords(org, i.id, "insights");
    const days = records.filter((r) => r.data.scope === "page");
    const posts = records.filter((r) => r.data.scope === "post");
    expect(days.length).toBeGreaterThanOrEqual(88);
    expect(days.length).toBeLessThanOrEqual(90);
    expect(posts).toHaveLength(12);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const day = days.find((r) => r.data.date === yesterday) ?? days.at(-1);
    expect(day?.external_id).toMatch(/^page:100000000000003:\d{4}-\d{2}-\d{2}$/);
    expect(day?.data).toMatchObject({
      scope: "page",
      object_id: "100000000000003",
      impressions: expect.any(Number),
      reach: expect.any(Number),
      engagements: expect.any(Number),
      external_provider: "facebook",
    });
    const first = posts.find((r) => r.external_id === "post:100000000000003_900000000012");
    expect(first?.data).toMatchObject({
      scope: "post",
      object_id: "100000000000003_900000000012",
      date: new Date().toISOString().slice(0, 10),
      message: "Sandbox post 12 of Sandbox Store",
      permalink: "https://www.facebook.com/100000000000003/posts/900000000012",
    });
    const d = first?.data as { impressions: number; reach: number; engagements: number };
    expect(d.reach).toBe(Math.floor(d.impressions * 0.7));
    // Engagements: reactions (5 + 12 % 4 likes, 12 % 3 loves, 1 wow) plus clicks.
    expect(d.engagements).toBe(5 + 0 + 1 + Math.floor(d.impressions / 20));

    // The next run reads only the last days and the recent posts.
    const next = await syncAndWait(org, i.id, "insights");
    expect(next).toMatchObject({ status: "success", mode: "incremental" });
    expect(next.records_synced).toBeLessThan(12);
  }, 30_000);

  it("the simulator refuses deprecated metrics and insights read with a token that is not the Page's", async () => {
    const userToken = "EAAGuserSimulatorCheck1";
    const accounts = await call(
      "GET",
      `/sandbox/facebook/${GRAPH_VERSION}/me/accounts?access_token=${userToken}`,
    );
    const cafe = accounts.json.data.find((p: { id: string }) => p.id === "100000000000002");
    const store = accounts.json.data.find((p: { id: string }) => p.id === "100000000000003");
    const read = (page: string, token: string, metric: string) =>
      call("GET", `/sandbox/facebook/${GRAPH_VERSION}/${page}/insights?metric=${metric}&period=day`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const ok = await read("100000000000002", cafe.access_token, "page_media_view");
    expect(ok.status).toBe(200);
    expect(ok.json.data[0]).toMatchObject({ name: "page_media_view", period: "day" });
    const deprecated = await read("100000000000002", cafe.access_token, "page_impressions");
    expect(deprecated.json.error).toMatchObject({ code: 100 });
    const wrong = await read("100000000000002", store.access_token, "page_media_view");
    expect(wrong.json.error).toMatchObject({ code: 190 });
    const fromPage = await call("GET", `/sandbox/facebook/${GRAPH_VERSION}/me/accounts`, {
      headers: { authorization: `Bearer ${cafe.access_token}` },
    });
    expect(fromPage.json.error).toMatchObject({ code: 100 });
  });
});
