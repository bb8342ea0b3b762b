/**
 * Every provider's webhooks end to end: the sandbox fires a correctly signed webhook of each
 * provider at the integration's URL (and a forged one), the hub verifies, stores and answers as
 * the provider expects, and the queue applies it: delivery receipts move messages the hub sent,
 * inbound messages are recorded, a Facebook Lead Ads lead becomes a contact.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SANDBOX_SENDGRID_PUBLIC_KEY } from "../../src/sandbox/webhooks/sendgrid.ts";
import { call, newIntegration, newOrg, type TestOrg, waitForMessage } from "../harness.ts";

const SID = `AC${"0123456789abcdef".repeat(2)}`;
const APP_SECRET = "meta-app-secret-0123456789";
const PAGE_ID = "100000000000001";

interface Case {
  /** The integration's settings and secrets. */
  body: Record<string, unknown>;
  /** What the sender signs with (the integration's secret fields). */
  secrets: Record<string, string>;
  /** The answer the provider expects for an accepted delivery. */
  accepted: { status: number; contentType?: string; body?: string };
  /** A message sent through the integration that a receipt can move (channel, recipient). */
  send?: { to: string; subject?: string };
  /** The receipt event and the status it moves the message to. */
  receipt?: {
    event: string;
    data?: Record<string, string>;
    status: "delivered" | "failed";
    /** The recipient goes on the suppression list (a hard bounce). */
    suppresses?: "hard_bounce";
  };
  /** An inbound message event and the sender it names. */
  inbound?: { event: string; from: string };
}

const json200 = { status: 200, contentType: "application/json" };

const CASES: Record<string, Case> = {
  twilio: {
    body: {
      account_sid: SID,
      auth_token: "f00dfacecafe0123456789abcdef0123",
      from_phone_number: "+15005550006",
    },
    secrets: { auth_token: "f00dfacecafe0123456789abcdef0123" },
    accepted: { status: 200, contentType: "text/xml", body: "<Response></Response>" },
    send: { to: "+15551234567" },
    receipt: { event: "status", data: { status: "delivered" }, status: "delivered" },
    inbound: { event: "inbound", from: "+15557654321" },
  },
  twilio_whatsapp: {
    body: { account_sid: SID, auth_token: "f00dfacecafe0123456789abcdef0123", from_whatsapp: "+15005550006" },
    secrets: { auth_token: "f00dfacecafe0123456789abcdef0123" },
    accepted: { status: 200, contentType: "text/xml" },
    send: { to: "+15551234567" },
    receipt: { event: "status", data: { status: "undelivered" }, status: "failed" },
    inbound: { event: "inbound", from: "+15557654321" },
  },
  vonage: {
    body: {
      api_key: "a1b2c3d4",
      api_secret: "vonage-api-secret",
      from_phone_number: "+447700900001",
      signature_secret: "vonage-signature-secret",
      signature_method: "sha256",
    },
    secrets: { signature_secret: "vonage-signature-secret" },
    accepted: json200,
    send: { to: "+447700900123" },
    receipt: { event: "status", data: { status: "delivered" }, status: "delivered" },
    inbound: { event: "inbound", from: "+447700900555" },
  },
  plivo: {
    body: {
      auth_id: "MAZTCXYJFKZJK3N2Q3YT",
      auth_token: "plivo-auth-token-0123456789",
      from_phone_number: "+14151234567",
    },
    secrets: { auth_token: "plivo-auth-token-0123456789" },
    accepted: json200,
    send: { to: "+14155550123" },
    receipt: { event: "status", data: { status: "delivered" }, status: "delivered" },
    inbound: { event: "inbound", from: "+14155550999" },
  },
  whatsapp: {
    body: {
      access_token: "EAAGsystemUserToken123",
      phone_number_id: "106540352242922",
      business_account_id: "102290129340398",
      app_secret: APP_SECRET,
    },
    secrets: { app_secret: APP_SECRET },
    accepted: json200,
    send: { to: "+14155550123" },
    receipt: { event: "status", data: { status: "read" }, status: "delivered" },
    inbound: { event: "message", from: "+16505551234" },
  },
  sendgrid: {
    body: {
      api_key: "SG.sandboxkey123.abcDEF_ghi-jkl",
      from_email: "noreply@example.com",
      webhook_public_key: SANDBOX_SENDGRID_PUBLIC_KEY,
    },
    secrets: {},
    accepted: json200,
    send: { to: "ada@example.com", subject: "Hello" },
    receipt: { event: "bounce", status: "failed", suppresses: "hard_bounce" },
  },
  mailgun: {
    body: {
      api_key: "key-0123456789abcdef0123456789abcdef",
      domain: "mg.example.com",
      region: "us",
      from_email: "noreply@mg.example.com",
      webhook_signing_key: "mailgun-signing-key-0123",
    },
    secrets: { webhook_signing_key: "mailgun-signing-key-0123" },
    accepted: json200,
    send: { to: "ada@example.com", subject: "Hello" },
    receipt: { event: "delivered", status: "delivered" },
  },
  mailchimp: {
    body: {
      api_key: "md-Sandbox0123456789abcdef",
      from_email: "noreply@example.com",
      webhook_key: "mandrill-webhook-key",
    },
    secrets: { webhook_key: "mandrill-webhook-key" },
    accepted: json200,
    send: { to: "ada@example.com", subject: "Hello" },
    receipt: { event: "hard_bounce", status: "failed", suppresses: "hard_bounce" },
  },
  facebook: {
    body: { access_token: "EAAGsandboxPageToken123", app_secret: APP_SECRET, page_id: PAGE_ID },
    secrets: { app_secret: APP_SECRET },
    accepted: json200,
    inbound: { event: "message", from: "24000000000000001" },
  },
  instagram: {
    body: {
      access_token: "IGAAsandboxUserToken123",
      instagram_scoped_id: "17841400000000001",
      app_secret: APP_SECRET,
    },
    secrets: { app_secret: APP_SECRET },
    accepted: json200,
    inbound: { event: "message", from: "17841400000000999" },
  },
  telegram: {
    body: { bot_token: "123456:ABCdef_ghi-jkl", webhook_secret: "tg-secret" },
    secrets: { webhook_secret: "tg-secret" },
    accepted: json200,
    inbound: { event: "message", from: "4242" },
  },
  hubspot: {
    body: { private_app_token: "pat-na1-0123", client_secret: "hubspot-client-secret" },
    secrets: { client_secret: "hubspot-client-secret" },
    accepted: json200,
  },
  quickbooks: {
    body: { webhook_verifier_token: "qb-verifier-token" },
    secrets: { webhook_verifier_token: "qb-verifier-token" },
    accepted: json200,
  },
  xero: {
    body: { webhook_key: "xero-webhook-key" },
    secrets: { webhook_key: "xero-webhook-key" },
    accepted: { status: 200, body: "" },
  },
  other: {
    body: {
      api_key: "custom-key",
      api_base_url: "https://api.example.com",
      webhook_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
    secrets: { webhook_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    accepted: json200,
  },
};

async function fire(
  provider: string,
  integration: { webhook_url: string },
  c: Pick<Case, "secrets" | "body">,
  extra: { event?: string; fault?: string; data?: Record<string, string> } = {},
) {
  const config = Object.fromEntries(Object.entries(c.body).filter(([k]) => !(k in c.secrets)));
  const r = await call("POST", `/sandbox/_webhooks/${provider}`, {
    body: { url: integration.webhook_url, secrets: c.secrets, config, ...extra },
  });
  expect(r.status, r.text).toBe(200);
  return r.json as { sent: { headers: Record<string, string> }; response: { status: number; body: unknown } };
}

async function waitForEvents(org: TestOrg, integrationId: string, count: number) {
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await call("GET", `/api/integrations/${integrationId}/webhook-events`, { key: org.adminKey });
    const events = r.json.events as { status: string; last_error: string | null }[];
    if (events.length >= count && events.every((e) => e.status === "processed" || e.status === "failed"))
      return events;
    if (Date.now() > until) throw new Error(`events not processed: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe.each(Object.entries(CASES))("%s webhooks", (provider, c) => {
  it("a signed webhook from the sandbox is accepted as the provider expects, stored and processed; a forged one is 401", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider, name: `${provider} hooks`, ...c.body });
    expect(i.webhook_url).toBe(`https://hub.test/webhooks/${provider}/${i.id}`);
    const good = await fire(provider, i, c);
    expect(good.response.status).toBe(c.accepted.status);
    if (c.accepted.body !== undefined) {
      const body = good.response.body;
      expect(typeof body === "string" ? body : JSON.stringify(body)).toContain(c.accepted.body);
    }
    const forged = await fire(provider, i, c, { fault: "bad_signature" });
    expect(forged.response.status).toBe(401);
    const missing = await fire(provider, i, c, { fault: "missing_signature" });
    expect(missing.response.status).toBe(401);
    const events = await waitForEvents(org, i.id, 1);
    expect(events).toHaveLength(1);
    expect(events[0]?.status).toBe("processed");
  });

  if (c.send && c.receipt) {
    const { send, receipt } = c;
    it(`a delivery receipt moves a message the hub sent to ${receipt.status}`, async () => {
      const org = await newOrg();
      const i = await newIntegration(org, { provider, name: `${provider} sender`, ...c.body });
      const sent = await call("POST", "/api/messages", {
        key: org.adminKey,
        body: {
          integration_id: i.id,
          to: send.to,
          text: "Receipt please",
          ...(send.subject ? { subject: send.subject } : {}),
        },
      });
      expect(sent.status, sent.text).toBe(202);
      const msg = await waitForMessage(org, sent.json.message.id, ["sent", "failed"]);
      expect(msg.status).toBe("sent");
      const r = await fire(provider, i, c, {
        event: receipt.event,
        data: {
          message_id: msg.id,
          provider_message_id: msg.provider_message_id,
          to: send.to,
          ...receipt.data,
        },
      });
      expect(r.response.status).toBe(c.accepted.status);
      const moved = await waitForMessage(org, msg.id, [receipt.status]);
      expect(moved.status).toBe(receipt.status);
      if (receipt.status === "delivered") expect(moved.delivered_at).toEqual(expect.any(String));
      else expect(moved.last_error).toEqual(expect.any(String));
      const listed = await call("GET", "/api/suppressions", { key: org.adminKey });
      if (!receipt.suppresses) {
        expect(listed.json.suppressions).toEqual([]);
        return;
      }
      // A hard bounce: the recipient is suppressed, and the next send to it is refused unsent.
      expect(listed.json.suppressions).toEqual([
        expect.objectContaining({ channel: "email", address: send.to, reason: receipt.suppresses }),
      ]);
      const again = await call("POST", "/api/messages", {
        key: org.adminKey,
        body: { integration_id: i.id, to: send.to.toUpperCase(), text: "Again", subject: "Again" },
      });
      expect(again.status, again.text).toBe(422);
      expect(again.json.code).toBe("RECIPIENT_SUPPRESSED");
      const all = await call("GET", `/api/messages?integration_id=${i.id}`, { key: org.adminKey });
      expect(all.json.messages).toHaveLength(1);
    });
  }

  if (c.inbound) {
    const { inbound } = c;
    it("an inbound message is recorded as an inbound message", async () => {
      const org = await newOrg();
      const i = await newIntegration(org, { provider, name: `${provider} inbox`, ...c.body });
      const r = await fire(provider, i, c, {
        event: inbound.event,
        data: { from: inbound.from, text: "Hi there" },
      });
      expect(r.response.status).toBe(c.accepted.status);
      await waitForEvents(org, i.id, 1);
      const list = await call("GET", `/api/messages?direction=inbound&integration_id=${i.id}`, {
        key: org.adminKey,
      });
      expect(list.json.messages).toHaveLength(1);
      expect(list.json.messages[0]).toMatchObject({
        direction: "inbound",
        status: "received",
        text: "Hi there",
      });
      expect(String(list.json.messages[0].from)).toContain(inbound.from.replace("+", ""));
      // A plain message suppresses nobody.
      expect((await call("GET", "/api/suppressions", { key: org.adminKey })).json.suppressions).toEqual([]);
    });

    it("an inbound STOP puts the sender on the channel's suppression list", async () => {
      const org = await newOrg();
      const i = await newIntegration(org, { provider, name: `${provider} opt-out`, ...c.body });
      await fire(provider, i, c, { event: inbound.event, data: { from: inbound.from, text: " Stop " } });
      await waitForEvents(org, i.id, 1);
      const [inboundMessage] = (
        await call("GET", `/api/messages?direction=inbound&integration_id=${i.id}`, { key: org.adminKey })
      ).json.messages;
      const listed = await call("GET", "/api/suppressions", { key: org.adminKey });
      expect(listed.json.suppressions).toEqual([
        expect.objectContaining({
          channel: inboundMessage.channel,
          address: String(inboundMessage.from).replace(/^whatsapp:/, ""),
          reason: "unsubscribe",
        }),
      ]);
    });
  }
});

describe("facebook lead ads and the 001 URL", () => {
  async function leadPage(org: TestOrg, extra: Record<string, unknown> = {}) {
    return newIntegration(org, {
      provider: "facebook",
      name: `Page ${Math.random()}`,
      access_token: "EAAGsandboxPageToken123",
      app_secret: APP_SECRET,
      page_id: PAGE_ID,
      enable_lead_ads: true,
      ...extra,
    });
  }

  const contacts = (integrationId: string) =>
    env.DB.prepare("SELECT external_id, data FROM records WHERE integration_id = ? AND entity = 'contacts'")
      .bind(integrationId)
      .all<{ external_id: string; data: string }>()
      .then((r) => r.results.map((row) => ({ id: row.external_id, ...JSON.parse(row.data) })));

  it("a leadgen event fetches the lead from the Graph API and stores one contact, even when delivered twice", async () => {
    const org = await newOrg();
    const page = await leadPage(org, { trigger_campaign_id: "camp_42" });
    const secrets = { app_secret: APP_SECRET };
    const body = { page_id: PAGE_ID };
    for (let n = 0; n < 2; n++)
      await fire(
        "facebook",
        page,
        { secrets, body },
        { event: "leadgen", data: { leadgen_id: "444000000000001" } },
      );
    const events = await waitForEvents(org, page.id, 1);
    expect(events).toHaveLength(1);
    const list = await contacts(page.id);
    expect(list).toEqual([
      expect.objectContaining({
        id: "444000000000001",
        name: "Sandbox Lead 0001",
        email: "lead-444000000000001@example.com",
        phone: "+15550100001",
        source: "facebook_lead_ads",
      }),
    ]);
    const r = await call("GET", `/api/integrations/${page.id}/webhook-events`, { key: org.adminKey });
    expect(r.json.events[0]).toMatchObject({
      event_type: "leadgen",
      result: expect.objectContaining({ leads: 1, contacts_created: 1 }),
    });
  });

  it("a lead whose first fetch fails is retried and still becomes exactly one contact", async () => {
    const org = await newOrg();
    const page = await leadPage(org);
    await fire(
      "facebook",
      page,
      { secrets: { app_secret: APP_SECRET }, body: { page_id: PAGE_ID } },
      {
        event: "leadgen",
        data: { leadgen_id: `44400000${Date.now() % 1000}0503` },
      },
    );
    const until = Date.now() + 20_000;
    for (;;) {
      const r = await call("GET", `/api/integrations/${page.id}/webhook-events`, { key: org.adminKey });
      const e = r.json.events[0];
      if (e?.status === "processed") {
        expect(e.attempts).toBe(2);
        break;
      }
      if (Date.now() > until) throw new Error(`lead not processed: ${r.text}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(await contacts(page.id)).toHaveLength(1);
  }, 30_000);

  it("leads are skipped (and say why) when Lead Ads are not enabled", async () => {
    const org = await newOrg();
    const page = await leadPage(org, { enable_lead_ads: false });
    await fire(
      "facebook",
      page,
      { secrets: { app_secret: APP_SECRET }, body: { page_id: PAGE_ID } },
      { event: "leadgen" },
    );
    const [event] = await waitForEvents(org, page.id, 1);
    expect(event).toMatchObject({
      status: "processed",
      result: expect.objectContaining({ leads: 0, notes: [expect.stringContaining("not enabled")] }),
    });
    expect(await contacts(page.id)).toEqual([]);
  });

  it("001's /webhook?org_id= answers Meta's handshake with the verify token and routes events by page_id", async () => {
    const org = await newOrg();
    const created = await call("POST", "/create-organization-integration", {
      key: org.adminKey,
      body: {
        org_id: org.orgId,
        integration_type: "facebook",
        name: "FB Page",
        config: { page_id: PAGE_ID, enable_lead_ads: true },
        access_token: "EAAGsandboxPageToken123",
        api_secret: APP_SECRET,
      },
    });
    expect(created.status, created.text).toBeLessThan(300);
    const integration = created.json.data ?? created.json.integration ?? created.json;
    const url = new URL(integration.webhook_url);
    expect(url.pathname).toBe("/webhook");
    expect(url.searchParams.get("org_id")).toBe(org.orgId);
    const token = integration.webhook_verify_token as string;

    const ok = await call(
      "GET",
      `/webhook?org_id=${org.orgId}&hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toBe("1158201444");
    const wrong = await call(
      "GET",
      `/webhook?org_id=${org.orgId}&hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`,
    );
    expect(wrong.status).toBe(403);

    // Another Page of the same organization under the same app secret: routed by entry id.
    const other = await leadPage(org, { page_id: "100000000000777" });
    const r = await fire(
      "facebook",
      integration,
      { secrets: { app_secret: APP_SECRET }, body: {} },
      {
        event: "leadgen",
        data: { page_id: PAGE_ID, entry_id: PAGE_ID, leadgen_id: "444000000000123" },
      },
    );
    expect(r.response.status).toBe(200);
    await waitForEvents(org, integration.id, 1);
    expect(await contacts(integration.id)).toHaveLength(1);
    expect(await contacts(other.id)).toHaveLength(0);
  });

  it("without an app secret anywhere, Meta events are refused and the integration says why; a deployment-wide secret verifies them", async () => {
    const org = await newOrg();
    const page = await newIntegration(org, {
      provider: "facebook",
      name: "No secret",
      access_token: "EAAGsandboxPageToken123",
      page_id: PAGE_ID,
    });
    const r = await fire(
      "facebook",
      page,
      { secrets: { app_secret: APP_SECRET }, body: { page_id: PAGE_ID } },
      { event: "message" },
    );
    expect(r.response.status).toBe(401);
    const shown = await call("GET", `/api/integrations/${page.id}`, { key: org.adminKey });
    expect(shown.json.integration.last_error).toMatch(/app secret/);

    // With the deployment's META_APP_SECRET set, the integration needs none of its own.
    const built = await call("POST", new URL(page.webhook_url).pathname, {
      raw: JSON.stringify({ object: "page", entry: [] }),
      contentType: "application/json",
      headers: {
        "x-hub-signature-256": await metaSignature(
          "deployment-secret",
          JSON.stringify({ object: "page", entry: [] }),
        ),
      },
      env: { META_APP_SECRET: "deployment-secret" },
    });
    expect(built.status).toBe(200);
  });
});

async function metaSignature(secret: string, body: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...sig].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
