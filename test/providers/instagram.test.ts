/** Instagram (Instagram Login) through the sandbox: test connection (GET /me) and Direct sends (POST /me/messages). */
import { describe, expect, it } from "vitest";
import { GRAPH_VERSION } from "../../src/providers/facebook/graph.ts";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const TOKEN = "IGAAsandboxUserToken123";
const account = (access_token: string) => ({
  provider: "instagram",
  name: "Shop",
  access_token,
  instagram_scoped_id: "17841400000000001",
});

describe("instagram", () => {
  it("test connection calls GET /me?fields=user_id,username and names the account", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, account(TOKEN));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: "Connected as @sandbox_shop",
      details: { user_id: "17841400000000001", username: "sandbox_shop" },
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(TOKEN);
  });

  it("an invalid token fails the test with Meta's code 190 reason and marks the integration", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, account("IGAAinvalid-token"));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason = "Instagram: Invalid OAuth access token - Cannot parse access token (code 190, HTTP 400)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("IGAAinvalid-token");
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { access_token: TOKEN } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends a Direct message: 202 queued, then sent with Instagram's mid; the sandbox got the exact request", async () => {
    const org = await newOrg();
    await newIntegration(org, account(TOKEN));
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "instagram", to: "6543210987654321", text: "Hello from Switchboard on Instagram" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "instagram", provider: "instagram" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^aWdf/);
    const got = (await sandboxInbox("instagram")).find((m) => m.id === sent.provider_message_id);
    expect(got?.body).toEqual({
      recipient: { id: "6543210987654321" },
      message: { text: "Hello from Switchboard on Instagram" },
    });
  });

  it("the simulator answers like Graph: no token, missing message, over-long text", async () => {
    const path = `/sandbox/instagram/${GRAPH_VERSION}/me/messages`;
    const noToken = await call("POST", path, {
      body: { recipient: { id: "123456" }, message: { text: "hi" } },
    });
    expect(noToken.status).toBe(400);
    expect(noToken.json.error).toMatchObject({ type: "OAuthException", code: 2500 });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const noMessage = await call("POST", path, { headers, body: { recipient: { id: "123456" } } });
    expect(noMessage.status).toBe(400);
    expect(noMessage.json.error).toMatchObject({
      message: "(#100) Must send either message or sender_action",
      code: 100,
    });
    const long = await call("POST", path, {
      headers,
      body: { recipient: { id: "123456" }, message: { text: "é".repeat(501) } },
    });
    expect(long.json.error).toMatchObject({
      code: 100,
      message: "(#100) Length of param message[text] must be less than or equal to 1000",
    });
  });
});
