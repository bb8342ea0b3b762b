/** Telegram through the sandbox: test connection (getMe) and sending (sendMessage). */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

describe("telegram", () => {
  it("test connection calls getMe with the token in the path and records success", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "123456:ABCdef_ghi-jkl",
    });
    const r = await call("POST", `/api/integrations/${i.id}/test/`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: "Connected as @sandbox_bot" });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    // A test is recorded as one, not as a sync.
    expect(r.json.integration.last_tested_at).toEqual(expect.any(String));
    expect(r.json.integration.last_sync_at).toBeNull();
    expect(r.text).not.toContain("123456:ABCdef_ghi-jkl");
  });

  it("an invalid token fails the test with Telegram's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "123456:invalid-token",
    });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.json).toMatchObject({ ok: false, message: "Telegram: Unauthorized (HTTP 401)" });
    expect(r.json.integration).toMatchObject({
      status: "error",
      last_error: "Telegram: Unauthorized (HTTP 401)",
      error_count: 1,
    });
    expect(r.text).not.toContain("123456:invalid-token");
    await call("PATCH", `/api/integrations/${i.id}`, {
      key: org.adminKey,
      body: { bot_token: "123456:good-token" },
    });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends a message: 202 queued, then sent with Telegram's message id; the sandbox got the exact request", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef" });
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "telegram", to: "987654321", text: "Hello from Switchboard" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({
      status: "queued",
      channel: "telegram",
      provider: "telegram",
      to: "987654321",
    });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^987654321:\d+$/);
    const got = (await sandboxInbox("telegram")).find((m) => m.body.text === "Hello from Switchboard");
    expect(got?.body).toEqual({ chat_id: 987654321, text: "Hello from Switchboard" });
  });
});
