/**
 * Facebook Page through the sandbox: test connection (GET /me), Messenger sends
 * (POST /{page-id}/messages), the simulator's Graph strictness, and the shared Graph error
 * classification (by error.code, not the HTTP status).
 */
import { describe, expect, it } from "vitest";
import { send } from "../../src/providers/facebook/client.ts";
import { GRAPH_VERSION } from "../../src/providers/facebook/graph.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { facebook } from "../../src/sandbox/providers/facebook.ts";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

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
