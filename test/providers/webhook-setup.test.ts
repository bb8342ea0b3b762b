/**
 * Webhook registration through the providers' APIs (the simulators remember what was set): test
 * connection reports that the provider does not point at the hub, `POST .../webhooks/register`
 * points it here, and the check then says so.
 */
import { describe, expect, it } from "vitest";
import { BASE, call, newIntegration, newOrg, type TestOrg } from "../harness.ts";

async function checkThenRegister(org: TestOrg, id: string, provider: string) {
  const url = `${BASE}/webhooks/${provider}/${id}`;
  const before = await call("POST", `/api/integrations/${id}/test`, { key: org.adminKey });
  expect(before.status).toBe(200);
  expect(before.json.ok).toBe(true);
  expect(before.json.details.webhook).toMatchObject({ points_here: false, expected_url: url });
  const reg = await call("POST", `/api/integrations/${id}/webhooks/register`, { key: org.adminKey });
  expect(reg.status).toBe(200);
  expect(reg.json).toMatchObject({ ok: true, webhook: { points_here: true, current_url: url } });
  const after = await call("POST", `/api/integrations/${id}/test`, { key: org.adminKey });
  expect(after.json.details.webhook).toMatchObject({
    points_here: true,
    current_url: url,
    expected_url: url,
  });
  const logs = await call("GET", `/api/integrations/${id}/logs`, { key: org.adminKey });
  expect(logs.json.logs.map((l: { action: string }) => l.action)).toContain("webhooks.register");
  return reg.json;
}

describe("webhook registration", () => {
  it("telegram: getWebhookInfo, then setWebhook with a generated secret_token the verifier checks", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "555001:hook-token",
    });
    const reg = await checkThenRegister(org, i.id, "telegram");
    expect(Object.keys(reg.integration.secrets)).toContain("webhook_secret");
    expect(reg.message).toBe("Telegram: Webhook was set");
  });

  it("the catalog says which providers register, a member key is refused, another org's id is 404", async () => {
    const cat = await call("GET", "/api/integrations/providers");
    const byId = Object.fromEntries(
      cat.json.providers.map((p: { id: string; capabilities: unknown }) => [p.id, p.capabilities]),
    );
    expect(byId.telegram.webhook_setup).toBe("register");
    expect(byId.twilio.webhook_setup).toBeUndefined();
    const org = await newOrg();
    const other = await newOrg();
    const i = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "555002:hook-token",
    });
    const member = await call("POST", `/api/integrations/${i.id}/webhooks/register`, { key: org.memberKey });
    expect(member.status).toBe(403);
    const foreign = await call("POST", `/api/integrations/${i.id}/webhooks/register`, {
      key: other.adminKey,
    });
    expect(foreign.status).toBe(404);
    const tw = await newIntegration(org, {
      provider: "twilio",
      name: "T",
      account_sid: `AC${"1".repeat(32)}`,
      auth_token: "tok",
      from_phone_number: "+15005550006",
    });
    const none = await call("POST", `/api/integrations/${tw.id}/webhooks/register`, { key: org.adminKey });
    expect(none.status).toBe(400);
  });
});
