/**
 * Webhook registration through the providers' APIs (the simulators remember what was set): test
 * connection reports that the provider does not point at the hub, `POST .../webhooks/register`
 * points it here, and the check then says so.
 */
import { describe, expect, it } from "vitest";
import { SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY } from "../../src/sandbox/providers/aws_ses.ts";
import { BASE, call, newIntegration, newOrg, type TestOrg, waitForMessage } from "../harness.ts";

const aws = (region: string) => ({
  access_key_id: SANDBOX_ACCESS_KEY_ID,
  secret_access_key: SANDBOX_SECRET_ACCESS_KEY,
  region,
});

/** A region of its own per test: the simulator's topics and configuration sets are per region. */
let regionSeq = 1;
const freshRegion = () => `ap-test-${regionSeq++}${Math.floor(Math.random() * 1000)}`;

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

  it("mailgun: adds the hub to the domain's delivered, permanent_fail, temporary_fail and complained webhooks, keeping other URLs; reads the signing key", async () => {
    const org = await newOrg();
    const key = `key-${crypto.randomUUID().replace(/-/g, "")}`;
    const i = await newIntegration(org, {
      provider: "mailgun",
      name: "Mail",
      api_key: key,
      domain: "mg.example.com",
      region: "us",
      from_email: "noreply@mg.example.com",
    });
    // Another URL already on `delivered` stays there.
    const existing = await call(
      "POST",
      `/api/integrations/${i.id}/proxy/v3/domains/mg.example.com/webhooks`,
      {
        key: org.adminKey,
        raw: "id=delivered&url=https%3A%2F%2Felsewhere.example%2Fhook",
        contentType: "application/x-www-form-urlencoded",
      },
    );
    expect(existing.status).toBe(200);
    const reg = await checkThenRegister(org, i.id, "mailgun");
    expect(reg.webhook.events).toEqual({
      delivered: true,
      permanent_fail: true,
      temporary_fail: true,
      complained: true,
    });
    expect(Object.keys(reg.integration.secrets)).toContain("webhook_signing_key");
    const hooks = await call("GET", `/api/integrations/${i.id}/proxy/v3/domains/mg.example.com/webhooks`, {
      key: org.adminKey,
    });
    expect(hooks.json.webhooks.delivered.urls).toEqual([
      "https://elsewhere.example/hook",
      `${BASE}/webhooks/mailgun/${i.id}`,
    ]);
  });

  it("sendgrid: creates a signed Event Webhook for the hub and keeps its public key, which verifies events", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "Mail",
      api_key: `SG.${crypto.randomUUID().slice(0, 8)}.hooks`,
      from_email: "noreply@example.com",
    });
    const reg = await checkThenRegister(org, i.id, "sendgrid");
    expect(reg.webhook.signed).toBe(true);
    expect(reg.integration.config.webhook_public_key).toEqual(expect.any(String));
    const fired = await call("POST", "/sandbox/_webhooks/sendgrid", {
      body: { url: i.webhook_url, event: "delivered" },
    });
    expect(fired.json.response.status).toBe(200);
    // Registering again updates the same webhook.
    const again = await call("POST", `/api/integrations/${i.id}/webhooks/register`, { key: org.adminKey });
    expect(again.json.message).toContain("updated");
    expect(again.json.webhook.webhooks).toBe(1);
  });

  it("vonage: sets the account's drCallBackUrl and moCallBackUrl", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "vonage",
      name: "SMS",
      api_key: crypto.randomUUID().slice(0, 8),
      api_secret: "s3cret",
      from_phone_number: "+447700900001",
    });
    const reg = await checkThenRegister(org, i.id, "vonage");
    expect(reg.webhook.inbound_points_here).toBe(true);
  });

  it("whatsapp: subscribes the app to the business account with the hub as override_callback_uri", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "whatsapp",
      name: "WA",
      access_token: "EAAsandboxhooks123",
      phone_number_id: "106540352242922",
      business_account_id: String(Math.floor(Math.random() * 1e15)),
    });
    await checkThenRegister(org, i.id, "whatsapp");
  });

  it("aws_ses: a configuration set with an SNS event destination, the hub subscribed; confirmed, then its events move messages", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "aws_ses",
      name: "SES",
      ...aws(freshRegion()),
      from_email: "hello@example.com",
    });
    const reg = await checkThenRegister(org, i.id, "aws_ses");
    expect(reg.integration.config).toMatchObject({
      configuration_set: "switchboard",
      topic_arn: expect.stringMatching(/^arn:aws:sns:ap-test-\d+:123456789012:switchboard-ses-events$/),
    });
    expect(reg.webhook).toMatchObject({
      configuration_set: "switchboard",
      subscription: "pending_confirmation",
    });
    // SNS sends the SubscriptionConfirmation; the hub fetches its SubscribeURL.
    const confirmed = await call("POST", "/sandbox/_webhooks/aws_ses", {
      body: { url: i.webhook_url, event: "subscription_confirmation" },
    });
    expect(confirmed.json.response.status).toBe(200);
    const after = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(after.json.details.webhook).toMatchObject({ points_here: true, subscription: "confirmed" });
    // Mail now goes out with the configuration set, and its events arrive through the topic.
    const sent = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { integration_id: i.id, channel: "email", to: "a@example.com", subject: "Hi", text: "Hello" },
    });
    const message = await waitForMessage(org, sent.json.message.id, ["sent", "failed"]);
    const inbox = await call("GET", "/sandbox/_inbox?provider=aws_ses");
    const entry = inbox.json.messages.find((m: { id: string }) => m.id === message.provider_message_id);
    expect(entry.body.ConfigurationSetName).toBe("switchboard");
    await call("POST", "/sandbox/_webhooks/aws_ses", {
      body: {
        url: i.webhook_url,
        config: reg.integration.config,
        event: "delivery",
        data: { provider_message_id: message.provider_message_id },
      },
    });
    expect((await waitForMessage(org, message.id, ["delivered"])).status).toBe("delivered");
  }, 30_000);

  it("aws_sns: subscribes the hub to a topic (created when none is set) and the confirmation flips the check", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "aws_sns",
      name: "SNS",
      ...aws(freshRegion()),
      from_phone_number: "+15005550006",
    });
    const reg = await checkThenRegister(org, i.id, "aws_sns");
    expect(reg.integration.config.topic_arn).toMatch(/:switchboard-notifications$/);
    expect(reg.webhook.subscription).toBe("pending_confirmation");
    await call("POST", "/sandbox/_webhooks/aws_sns", {
      body: { url: i.webhook_url, event: "subscription_confirmation" },
    });
    const after = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(after.json.details.webhook).toMatchObject({ points_here: true, subscription: "confirmed" });
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
