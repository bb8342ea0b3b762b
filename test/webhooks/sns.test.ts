/**
 * Amazon SNS HTTP/S notifications at an SES or SNS integration's webhook URL: signatures v1 and v2
 * verified with the certificate the simulator serves (downloaded once per URL), everything else
 * refused with a 4xx and nothing stored, a SubscriptionConfirmation confirmed through its
 * SubscribeURL, and SES events moving sent messages to delivered or failed.
 */
import { describe, expect, it } from "vitest";
import { SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY } from "../../src/sandbox/providers/aws_ses.ts";
import {
  certificateDownloads,
  notificationMessage,
  signSnsMessage,
  subscriptionOf,
} from "../../src/sandbox/providers/sns-topics.ts";
import {
  call,
  newIntegration,
  newOrg,
  storedWebhookEvents,
  type TestOrg,
  waitForMessage,
} from "../harness.ts";

const SNS_BASE = "https://hub.test/sandbox/aws_sns";
const keys = { access_key_id: SANDBOX_ACCESS_KEY_ID, secret_access_key: SANDBOX_SECRET_ACCESS_KEY };

const ses = (org: TestOrg, extra: Record<string, unknown> = {}) =>
  newIntegration(org, {
    provider: "aws_ses",
    name: `SES ${Math.random()}`,
    ...keys,
    region: "us-east-1",
    from_email: "hello@example.com",
    ...extra,
  });

const fire = (provider: string, body: Record<string, unknown>) =>
  call("POST", `/sandbox/_webhooks/${provider}`, { body });

function post(url: string, body: string) {
  const u = new URL(url);
  return call("POST", u.pathname, { raw: body, contentType: "text/plain; charset=UTF-8" });
}

async function events(org: TestOrg, id: string) {
  const r = await call("GET", `/api/integrations/${id}/webhook-events`, { key: org.adminKey });
  return r.json.events as Record<string, unknown>[];
}

async function sentEmail(org: TestOrg, integrationId: string, to = "a@example.com") {
  const r = await call("POST", "/api/messages", {
    key: org.adminKey,
    body: {
      integration_id: integrationId,
      channel: "email",
      to,
      subject: "Hi",
      text: "Hello",
    },
  });
  expect(r.status).toBe(202);
  const sent = await waitForMessage(org, r.json.message.id, ["sent", "failed"]);
  expect(sent.status).toBe("sent");
  return sent;
}

describe("SNS notifications", () => {
  it("an SES bounce fails the sent message with the diagnostic; a delivery delivers another", async () => {
    const org = await newOrg();
    const i = await ses(org);
    const bounced = await sentEmail(org, i.id, "bounced@example.com");
    const fired = await fire("aws_ses", {
      url: i.webhook_url,
      config: i.config,
      event: "bounce",
      data: { provider_message_id: bounced.provider_message_id },
    });
    expect(fired.json.response).toEqual({ status: 200, body: { received: true } });
    const failed = await waitForMessage(org, bounced.id, ["failed"]);
    expect(failed.last_error).toBe("Amazon SES: Permanent bounce (General): smtp; 550 5.1.1 user unknown");
    // A permanent bounce suppresses the address: the next send to it is refused.
    const suppressed = await call("GET", "/api/suppressions?channel=email&address=Bounced@example.com", {
      key: org.adminKey,
    });
    expect(suppressed.json.suppressions).toEqual([
      expect.objectContaining({ address: "bounced@example.com", reason: "hard_bounce" }),
    ]);

    const delivered = await sentEmail(org, i.id);
    await fire("aws_ses", {
      url: i.webhook_url,
      event: "delivery",
      data: { provider_message_id: delivered.provider_message_id, signature_version: "2" },
    });
    expect((await waitForMessage(org, delivered.id, ["delivered"])).status).toBe("delivered");
    // A transient bounce leaves a message sent.
    const soft = await sentEmail(org, i.id);
    await fire("aws_ses", {
      url: i.webhook_url,
      event: "soft_bounce",
      data: { provider_message_id: soft.provider_message_id },
    });
    await fire("aws_ses", {
      url: i.webhook_url,
      event: "delivery",
      data: { provider_message_id: "unrelated" },
    });
    // Once every event is processed, the soft-bounced message is still sent.
    const until = Date.now() + 15_000;
    let all = await events(org, i.id);
    while (all.length < 4 || all.some((e) => e.status !== "processed")) {
      if (Date.now() > until) throw new Error(`events not processed: ${JSON.stringify(all)}`);
      await new Promise((r) => setTimeout(r, 100));
      all = await events(org, i.id);
    }
    expect(all.map((e) => e.event_type)).toEqual(expect.arrayContaining(["Bounce", "Delivery"]));
    const stillSent = await call("GET", `/api/messages/${soft.id}`, { key: org.adminKey });
    expect(stillSent.json.message.status).toBe("sent");
  }, 30_000);

  it("confirms a SubscriptionConfirmation by fetching its SubscribeURL", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "aws_sns",
      name: "SNS",
      ...keys,
      region: "us-east-1",
      from_phone_number: "+15005550006",
    });
    const r = await fire("aws_sns", { url: i.webhook_url, event: "subscription_confirmation" });
    expect(r.json.response.status).toBe(200);
    expect(subscriptionOf(i.webhook_url)?.confirmed).toBe(true);
    const [event] = await storedWebhookEvents(org, i.id, 1);
    expect(event).toMatchObject({ event_type: "SubscriptionConfirmation" });
    expect(JSON.stringify(event)).not.toContain("Token=");
  });

  it("accepts SignatureVersion 1 and 2; refuses a bad signature, tampering, a missing signature, a stale message, and stores nothing", async () => {
    const org = await newOrg();
    const i = await ses(org);
    for (const version of ["1", "2"]) {
      const r = await fire("aws_ses", {
        url: i.webhook_url,
        event: "complaint",
        data: { signature_version: version },
      });
      expect(r.json.response.status).toBe(200);
    }
    for (const fault of ["bad_signature", "tampered", "missing_signature", "stale", "future"]) {
      const r = await fire("aws_ses", { url: i.webhook_url, event: "delivery", fault });
      expect(r.json.response.status, fault).toBeGreaterThanOrEqual(400);
      expect(r.json.response.status, fault).toBeLessThan(500);
    }
    // The two accepted are stored by the queue's consumer; the refused never reach the queue.
    expect(await storedWebhookEvents(org, i.id, 2)).toHaveLength(2);
  });

  it("refuses a certificate from anywhere but SNS, an unknown SignatureVersion, another topic", async () => {
    const org = await newOrg();
    const i = await ses(org, { topic_arn: "arn:aws:sns:us-east-1:123456789012:mine" });
    const base = notificationMessage(
      "arn:aws:sns:us-east-1:123456789012:mine",
      '{"eventType":"Send"}',
      SNS_BASE,
    );
    const signed = await signSnsMessage(base, SNS_BASE, "1");
    const good = await post(i.webhook_url, JSON.stringify(signed));
    expect(good.status).toBe(200);
    const bad = [
      {
        ...signed,
        MessageId: crypto.randomUUID(),
        SigningCertURL: "https://evil.example.com/SimpleNotificationService-x.pem",
      },
      {
        ...signed,
        SigningCertURL: "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-x.pem",
      },
      { ...signed, SigningCertURL: "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem" },
      { ...signed, SigningCertURL: "https://sns.us-east-1.amazonaws.com/cert.txt" },
      {
        ...signed,
        SigningCertURL: `${SNS_BASE.replace("/aws_sns", "/aws_ses")}/SimpleNotificationService-sandbox.pem`,
      },
      { ...signed, SignatureVersion: "3" },
      { ...signed, Type: "Unknown" },
    ];
    for (const m of bad) {
      const r = await post(i.webhook_url, JSON.stringify(m));
      expect(r.status, JSON.stringify(m)).toBe(400);
    }
    const otherTopic = await signSnsMessage(
      notificationMessage("arn:aws:sns:us-east-1:123456789012:theirs", '{"eventType":"Send"}', SNS_BASE),
      SNS_BASE,
    );
    expect((await post(i.webhook_url, JSON.stringify(otherTopic))).status).toBe(403);
    expect((await post(i.webhook_url, "not json")).status).toBe(400);
    expect(await storedWebhookEvents(org, i.id, 1)).toHaveLength(1);
  });

  it("downloads a certificate once for two messages signed with it", async () => {
    const org = await newOrg();
    const i = await ses(org);
    const path = `/SimpleNotificationService-${crypto.randomUUID()}.pem`;
    for (let n = 0; n < 2; n++) {
      const m = await signSnsMessage(
        notificationMessage("arn:aws:sns:us-east-1:123456789012:t", "{}", SNS_BASE),
        SNS_BASE,
      );
      const r = await post(i.webhook_url, JSON.stringify({ ...m, SigningCertURL: `${SNS_BASE}${path}` }));
      expect(r.status).toBe(200);
    }
    expect(certificateDownloads.get(path)).toBe(1);
  });
});
