/**
 * Webhook signatures of Meta (Facebook, Instagram, WhatsApp), Twilio, SendGrid, Mailgun and
 * Mailchimp Transactional: the known-answer vectors of providers.md, every way a delivery is
 * refused, and the sandbox senders' requests verified, refused when broken on purpose, and
 * turned into the expected effects.
 */
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, utf8 } from "../../src/crypto/encoding.ts";
import { provider as facebookProvider } from "../../src/providers/facebook/index.ts";
import { webhook as facebook } from "../../src/providers/facebook/webhook.ts";
import { provider as instagramProvider } from "../../src/providers/instagram/index.ts";
import { webhook as instagram } from "../../src/providers/instagram/webhook.ts";
import { provider as mailchimpProvider } from "../../src/providers/mailchimp/index.ts";
import { webhook as mailchimp } from "../../src/providers/mailchimp/webhook.ts";
import { provider as mailgunProvider } from "../../src/providers/mailgun/index.ts";
import { webhook as mailgun } from "../../src/providers/mailgun/webhook.ts";
import { provider as sendgridProvider } from "../../src/providers/sendgrid/index.ts";
import { derToP1363, webhook as sendgrid } from "../../src/providers/sendgrid/webhook.ts";
import { provider as twilioProvider } from "../../src/providers/twilio/index.ts";
import { webhook as twilio, twilioSignature } from "../../src/providers/twilio/webhook.ts";
import { provider as twilioWhatsappProvider } from "../../src/providers/twilio_whatsapp/index.ts";
import {
  hmacBase64,
  type ProviderWebhook,
  type WebhookContext,
  type WebhookEffect,
  type WebhookRequest,
} from "../../src/providers/webhooks.ts";
import { provider as whatsappProvider } from "../../src/providers/whatsapp/index.ts";
import { webhook as whatsapp } from "../../src/providers/whatsapp/webhook.ts";
import { facebook as facebookSender } from "../../src/sandbox/webhooks/facebook.ts";
import { instagram as instagramSender } from "../../src/sandbox/webhooks/instagram.ts";
import { mailchimp as mailchimpSender } from "../../src/sandbox/webhooks/mailchimp.ts";
import { mailgun as mailgunSender } from "../../src/sandbox/webhooks/mailgun.ts";
import { WEBHOOK_FAULTS, type WebhookSender } from "../../src/sandbox/webhooks/sender.ts";
import {
  SANDBOX_SENDGRID_PUBLIC_KEY,
  sendgrid as sendgridSender,
} from "../../src/sandbox/webhooks/sendgrid.ts";
import { twilio as twilioSender } from "../../src/sandbox/webhooks/twilio.ts";
import { twilio_whatsapp as twilioWhatsappSender } from "../../src/sandbox/webhooks/twilio_whatsapp.ts";
import { whatsapp as whatsappSender } from "../../src/sandbox/webhooks/whatsapp.ts";

function request(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array<ArrayBuffer> = "",
  method = "POST",
): WebhookRequest {
  return {
    method,
    url,
    headers: new Headers(headers),
    body: typeof body === "string" ? utf8(body) : body,
  };
}

const fromRequest = async (req: Request): Promise<WebhookRequest> => ({
  method: req.method,
  url: req.url,
  headers: req.headers,
  body: new Uint8Array(await req.arrayBuffer()),
});

const context = (over: Partial<WebhookContext> = {}): WebhookContext => ({
  config: {},
  secrets: {},
  defaults: {},
  now: Date.now(),
  ...over,
});

/** The request with another body under the same headers. */
const withBody = (req: WebhookRequest, body: string): WebhookRequest => ({
  ...req,
  body: utf8(body),
});
const withoutHeader = (req: WebhookRequest, name: string): WebhookRequest => {
  const headers = new Headers(req.headers);
  headers.delete(name);
  return { ...req, headers };
};
const reserialized = (req: WebhookRequest): WebhookRequest =>
  withBody(req, JSON.stringify(JSON.parse(new TextDecoder().decode(req.body)), null, 1));

const refusedWith = (reason: RegExp) => ({ ok: false, reason: expect.stringMatching(reason) });

describe("wiring", () => {
  it("each provider has its webhook and says it receives webhooks", () => {
    const pairs: [{ webhook?: ProviderWebhook; capabilities: { webhooks: boolean } }, ProviderWebhook][] = [
      [facebookProvider, facebook],
      [instagramProvider, instagram],
      [whatsappProvider, whatsapp],
      [twilioProvider, twilio],
      [twilioWhatsappProvider, twilio],
      [sendgridProvider, sendgrid],
      [mailgunProvider, mailgun],
      [mailchimpProvider, mailchimp],
    ];
    for (const [provider, webhook] of pairs) {
      expect(provider.webhook).toBe(webhook);
      expect(provider.capabilities.webhooks).toBe(true);
    }
    expect([facebook.routingField, instagram.routingField, whatsapp.routingField]).toEqual([
      "page_id",
      "instagram_scoped_id",
      "business_account_id",
    ]);
  });
});

// ---- Meta ----------------------------------------------------------------------------------

describe("Meta X-Hub-Signature-256", () => {
  const url = "https://hub.test/webhooks/facebook/x";
  const body = '{"object":"page","entry":[]}';
  const kat = () =>
    request(
      url,
      {
        "x-hub-signature-256": "sha256=525647799b07d87469d0ffe368a0b5bcdba9bbee0a2d4611e98fcb1ec3db947c",
      },
      body,
    );
  const ctx = context({ secrets: { app_secret: "app_secret_example" } });

  it("verifies the self-computed vector and the secret/test vector", async () => {
    expect(await facebook.verify(kat(), ctx)).toEqual({ ok: true });
    const sig = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";
    const req = request(url, { "x-hub-signature-256": sig }, "test");
    expect(await whatsapp.verify(req, context({ secrets: { app_secret: "secret" } }))).toEqual({ ok: true });
    expect(await instagram.verify(req, context({ secrets: { app_secret: "secret" } }))).toEqual({ ok: true });
  });

  it("falls back to the deployment's app secret", async () => {
    expect(
      await facebook.verify(kat(), context({ defaults: { metaAppSecret: "app_secret_example" } })),
    ).toEqual({
      ok: true,
    });
  });

  it("refuses a tampered body, a wrong secret, a missing header, re-serialized JSON", async () => {
    expect(await facebook.verify(withBody(kat(), '{"object":"page","entry":[1]}'), ctx)).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await facebook.verify(kat(), context({ secrets: { app_secret: "other" } }))).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await facebook.verify(withoutHeader(kat(), "x-hub-signature-256"), ctx)).toMatchObject(
      refusedWith(/missing X-Hub-Signature-256/),
    );
    expect(await facebook.verify(reserialized(kat()), ctx)).toMatchObject(refusedWith(/does not match/));
    const sha1 = request(
      url,
      { "x-hub-signature-256": "sha1=525647799b07d87469d0ffe368a0b5bcdba9bbee" },
      body,
    );
    expect(await facebook.verify(sha1, ctx)).toMatchObject({ ok: false });
  });

  it("fails closed without a secret", async () => {
    expect(await facebook.verify(kat(), context())).toMatchObject({ ok: false, missingSecret: true });
  });

  it("answers the hub.challenge handshake only with the right verify token", async () => {
    const get = (token: string, mode = "subscribe") =>
      request(
        `${url}?hub.mode=${mode}&hub.challenge=1158201444&hub.verify_token=${encodeURIComponent(token)}`,
        {},
        "",
        "GET",
      );
    const c = context({ verifyToken: "tok-123" });
    const ok = await facebook.handshake?.(get("tok-123"), c);
    expect(ok?.status).toBe(200);
    expect(await ok?.text()).toBe("1158201444");
    expect((await facebook.handshake?.(get("tok-124"), c))?.status).toBe(403);
    expect((await facebook.handshake?.(get("tok-123", "unsubscribe"), c))?.status).toBe(403);
    expect((await facebook.handshake?.(get("tok-123"), context()))?.status).toBe(403);
    expect(await facebook.handshake?.(kat(), c)).toBeNull();
  });

  it("describes and routes a batch by entry ids", () => {
    const payload = {
      object: "page",
      entry: [
        {
          id: "111",
          time: 1,
          messaging: [{ sender: { id: "9" }, recipient: { id: "111" }, message: { mid: "m_1", text: "a" } }],
        },
        {
          id: "222",
          time: 1,
          messaging: [{ sender: { id: "9" }, recipient: { id: "222" }, message: { mid: "m_2", text: "b" } }],
        },
      ],
    };
    const d = facebook.describe(request(url, {}, JSON.stringify(payload)));
    expect(d).toEqual({ type: "message", payload });
    expect(facebook.routingIds?.(payload)).toEqual(["111", "222"]);
    expect(facebook.effects?.(payload)).toHaveLength(2);
    const echo = {
      object: "page",
      entry: [{ id: "1", messaging: [{ message: { mid: "m_3", is_echo: true } }] }],
    };
    expect(facebook.effects?.(echo)).toEqual([]);
  });
});

// ---- Twilio --------------------------------------------------------------------------------

describe("Twilio X-Twilio-Signature", () => {
  const params =
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";
  const ctx = context({ secrets: { auth_token: "12345" } });
  const form = (url: string, signature: string, body = params) =>
    request(
      url,
      { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
      body,
    );
  const kat = () => form("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=");

  it("verifies twilio-node's vectors (form, http with a port, bodySHA256)", async () => {
    expect(await twilio.verify(kat(), ctx)).toEqual({ ok: true });
    expect(
      await twilio.verify(
        form("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        ctx,
      ),
    ).toEqual({ ok: true });
    const hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    const json = (body: string) =>
      request(
        `https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=${hash}`,
        { "content-type": "application/json", "x-twilio-signature": "a9nBmqA0ju/hNViExpshrM61xv4=" },
        body,
      );
    expect(await twilio.verify(json('{"property": "value", "boolean": true}'), ctx)).toEqual({ ok: true });
    expect(await twilio.verify(json('{"property": "value", "boolean": false}'), ctx)).toMatchObject(
      refusedWith(/bodySHA256/),
    );
    expect(
      await twilio.verify(reserialized(json('{"property": "value", "boolean": true}')), ctx),
    ).toMatchObject({
      ok: false,
    });
  });

  it("accepts the URL signed with or without the port and with the legacy query encoding", async () => {
    const withPort = await twilioSignature(
      "12345",
      "https://mycompany.com:443/myapp.php?foo=1&bar=2",
      new URLSearchParams(params),
    );
    expect(await twilio.verify(form("https://mycompany.com/myapp.php?foo=1&bar=2", withPort), ctx)).toEqual({
      ok: true,
    });
    expect(
      await twilio.verify(
        form("https://mycompany.com:443/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ctx,
      ),
    ).toEqual({ ok: true });
    const legacy = await twilioSignature(
      "12345",
      "https://example.com/hook?name=O'Brien",
      new URLSearchParams(params),
    );
    expect(await twilio.verify(form("https://example.com/hook?name=O%27Brien", legacy), ctx)).toEqual({
      ok: true,
    });
  });

  it("signs repeated parameters once per distinct value, values sorted", async () => {
    const url = "https://example.com/hook";
    const sig = await hmacBase64("SHA-1", "12345", `${url}a0a1b2`);
    expect(await twilio.verify(form(url, sig, "b=2&a=1&a=0&a=1"), ctx)).toEqual({ ok: true });
  });

  it("refuses a tampered parameter, a wrong token, a missing header; fails closed without a token", async () => {
    expect(await twilio.verify(withBody(kat(), params.replace("1234", "1235")), ctx)).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await twilio.verify(kat(), context({ secrets: { auth_token: "54321" } }))).toMatchObject({
      ok: false,
    });
    expect(await twilio.verify(withoutHeader(kat(), "x-twilio-signature"), ctx)).toMatchObject(
      refusedWith(/missing X-Twilio-Signature/),
    );
    expect(
      await twilio.verify(
        form("https://mycompany.com/myapp.php?foo=1&bar=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ctx,
      ),
    ).toMatchObject({ ok: false });
    expect(await twilio.verify(kat(), context())).toMatchObject({ ok: false, missingSecret: true });
  });

  it("answers with empty TwiML", async () => {
    const res = twilio.accept?.();
    expect(res?.status).toBe(200);
    expect(res?.headers.get("content-type")).toBe("text/xml");
    expect(await res?.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });
});

// ---- SendGrid ------------------------------------------------------------------------------

describe("SendGrid Signed Event Webhook", () => {
  const key =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
  const otherKey =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==";
  const timestamp = "1600112502";
  const payload =
    '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n';
  const der =
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
  const kat = (body = payload) =>
    request(
      "https://hub.test/webhooks/sendgrid/x",
      {
        "content-type": "application/json",
        "x-twilio-email-event-webhook-signature": der,
        "x-twilio-email-event-webhook-timestamp": timestamp,
      },
      body,
    );
  const at = (seconds: number, webhookKey = key) =>
    context({ config: { webhook_public_key: webhookKey }, now: seconds * 1000 });
  const ctx = at(1600112502);

  it("verifies the official vector and converts its DER signature to r||s", async () => {
    expect(await sendgrid.verify(kat(), ctx)).toEqual({ ok: true });
    expect(await sendgrid.verify(kat(), at(1600112502 + 299))).toEqual({ ok: true });
    const raw = derToP1363(fromBase64(der));
    expect(raw && toBase64(raw)).toBe(
      "YdBW0aP5jcuQb18tzF/ep8jXRDKyANaYw5WbEbS7plTIGJcNbMz6457lbQm4b6W5ABs8ioeHz0zXlOW4u0Rm0w==",
    );
  });

  it("accepts the key pasted as PEM", async () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${key.slice(0, 64)}\n${key.slice(64)}\n-----END PUBLIC KEY-----\n`;
    expect(await sendgrid.verify(kat(), at(1600112502, pem))).toEqual({ ok: true });
  });

  it("refuses a tampered body, another key, missing headers, re-serialized JSON", async () => {
    expect(await sendgrid.verify(kat(payload.replace("dropped", "delivered")), ctx)).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await sendgrid.verify(kat(payload.trimEnd()), ctx)).toMatchObject({ ok: false });
    expect(await sendgrid.verify(kat(), at(1600112502, otherKey))).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(
      await sendgrid.verify(withoutHeader(kat(), "x-twilio-email-event-webhook-signature"), ctx),
    ).toMatchObject(refusedWith(/missing X-Twilio-Email-Event-Webhook-Signature/));
    expect(
      await sendgrid.verify(withoutHeader(kat(), "x-twilio-email-event-webhook-timestamp"), ctx),
    ).toMatchObject(refusedWith(/missing X-Twilio-Email-Event-Webhook-Timestamp/));
    expect(await sendgrid.verify(reserialized(kat()), ctx)).toMatchObject(refusedWith(/does not match/));
    const garbled = { ...kat(), headers: new Headers(kat().headers) };
    garbled.headers.set("x-twilio-email-event-webhook-signature", "not-der");
    expect(await sendgrid.verify(garbled, ctx)).toMatchObject(refusedWith(/DER/));
  });

  it("refuses a stale or future timestamp", async () => {
    expect(await sendgrid.verify(kat(), at(1600112502 + 301))).toMatchObject(refusedWith(/too old/));
    expect(await sendgrid.verify(kat(), at(1600112502 - 301))).toMatchObject(refusedWith(/future/));
  });

  it("fails closed without a key or with one that is not a P-256 key", async () => {
    expect(await sendgrid.verify(kat(), context({ now: ctx.now }))).toMatchObject({
      ok: false,
      missingSecret: true,
    });
    expect(await sendgrid.verify(kat(), at(1600112502, "bm90IGEga2V5"))).toMatchObject({
      ok: false,
      missingSecret: true,
    });
  });

  it("describes the event and its status effect (sg_message_id up to the first dot)", () => {
    const d = sendgrid.describe(kat());
    expect(d).toMatchObject({ type: "dropped", id: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA" });
    expect(sendgrid.effects?.(d?.payload)).toEqual([
      {
        kind: "message.status",
        providerMessageId: "LRzXl_NHStOGhQ4kofSm_A",
        status: "failed",
        detail: "dropped",
        error: "Bounced Address",
      },
    ]);
    const batch = '[{"event":"delivered","sg_event_id":"a"},{"event":"open","sg_event_id":"b"}]';
    expect(sendgrid.describe(kat(batch))).toMatchObject({ type: "batch" });
    expect(sendgrid.describe(kat(batch))?.id).toBeUndefined();
  });
});

// ---- Mailgun -------------------------------------------------------------------------------

describe("Mailgun signature", () => {
  const signature = { timestamp: "1770920772", token: "e0b5477167110d68991efc6b9f89f0a11066af27834600e123" };
  const hex = "0c21522907603dce041a944f1414670fff4a064f6d03b9ac00aca444d434cc50";
  const json = (sig: Record<string, string> = { ...signature, signature: hex }) =>
    request(
      "https://hub.test/webhooks/mailgun/x",
      { "content-type": "application/json" },
      JSON.stringify({ signature: sig, "event-data": { id: "evt-1", event: "delivered" } }),
    );
  const at = (seconds: number, key = "key-example") =>
    context({ secrets: { webhook_signing_key: key }, now: seconds * 1000 });
  const ctx = at(1770920772);

  it("verifies the self-computed vector, as JSON and as legacy form fields", async () => {
    expect(await mailgun.verify(json(), ctx)).toEqual({ ok: true });
    const legacy = request(
      "https://hub.test/webhooks/mailgun/x",
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({
        ...signature,
        signature: hex,
        event: "delivered",
        "Message-Id": "<a@b>",
      }).toString(),
    );
    expect(await mailgun.verify(legacy, ctx)).toEqual({ ok: true });
    expect(mailgun.describe(legacy)).toMatchObject({ type: "delivered" });
    expect(mailgun.effects?.(mailgun.describe(legacy)?.payload)).toEqual([
      { kind: "message.status", providerMessageId: "a@b", status: "delivered", detail: "delivered" },
    ]);
  });

  it("signs fields, not the body: re-serialized JSON still verifies", async () => {
    expect(await mailgun.verify(reserialized(json()), ctx)).toEqual({ ok: true });
  });

  it("refuses a changed token, a wrong key, a missing signature", async () => {
    expect(
      await mailgun.verify(json({ ...signature, token: `${signature.token}x`, signature: hex }), ctx),
    ).toMatchObject(refusedWith(/does not match/));
    expect(await mailgun.verify(json(), at(1770920772, "key-other"))).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await mailgun.verify(json({ ...signature }), ctx)).toMatchObject(refusedWith(/missing signature/));
  });

  it("refuses a stale or future timestamp", async () => {
    expect(await mailgun.verify(json(), at(1770920772 + 301))).toMatchObject(refusedWith(/too old/));
    expect(await mailgun.verify(json(), at(1770920772 - 301))).toMatchObject(refusedWith(/future/));
  });

  it("fails closed without a signing key", async () => {
    expect(await mailgun.verify(json(), context({ now: ctx.now }))).toMatchObject({
      ok: false,
      missingSecret: true,
    });
  });

  it("ignores temporary failures (Mailgun retries them)", () => {
    const temporary = { "event-data": { event: "failed", severity: "temporary" }, signature: {} };
    expect(mailgun.effects?.(temporary)).toEqual([]);
  });
});

// ---- Mandrill ------------------------------------------------------------------------------

describe("Mandrill X-Mandrill-Signature", () => {
  const url = "https://example.com/webhooks/mandrill";
  const kat = (body = "mandrill_events=%5B%5D") =>
    request(
      url,
      {
        "content-type": "application/x-www-form-urlencoded",
        "x-mandrill-signature": "dYc8Wzh7/u8YJALGvsLjRdI+NpU=",
      },
      body,
    );
  const ctx = context({ secrets: { webhook_key: "webhook_key_example" } });

  it("verifies the self-computed vector", async () => {
    expect(await mailchimp.verify(kat(), ctx)).toEqual({ ok: true });
  });

  it("refuses a tampered field, re-serialized JSON, a wrong key, a missing header, another URL", async () => {
    expect(await mailchimp.verify(kat("mandrill_events=%5B1%5D"), ctx)).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await mailchimp.verify(kat("mandrill_events=%5B+%5D"), ctx)).toMatchObject(
      refusedWith(/does not match/),
    );
    expect(await mailchimp.verify(kat(), context({ secrets: { webhook_key: "other" } }))).toMatchObject({
      ok: false,
    });
    expect(await mailchimp.verify(withoutHeader(kat(), "x-mandrill-signature"), ctx)).toMatchObject(
      refusedWith(/missing X-Mandrill-Signature/),
    );
    expect(await mailchimp.verify({ ...kat(), url: `${url}/` }, ctx)).toMatchObject({ ok: false });
  });

  it("fails closed without a webhook key", async () => {
    expect(await mailchimp.verify(kat(), context())).toMatchObject({ ok: false, missingSecret: true });
  });

  it("answers Mandrill's HEAD (and a GET) with 200", async () => {
    expect((await mailchimp.handshake?.(request(url, {}, "", "HEAD"), ctx))?.status).toBe(200);
    expect((await mailchimp.handshake?.(request(url, {}, "", "GET"), ctx))?.status).toBe(200);
    expect(await mailchimp.handshake?.(kat(), ctx)).toBeNull();
  });
});

// ---- sandbox senders -----------------------------------------------------------------------

interface SenderCase {
  name: string;
  sender: WebhookSender;
  webhook: ProviderWebhook;
  secrets: Record<string, string>;
  config: Record<string, unknown>;
  /** Whether the scheme signs a timestamp (else `stale` and `future` verify). */
  timestamped: boolean;
}

const cases: SenderCase[] = [
  {
    name: "facebook",
    sender: facebookSender,
    webhook: facebook,
    secrets: { app_secret: "fb-secret" },
    config: { page_id: "424242" },
    timestamped: false,
  },
  {
    name: "instagram",
    sender: instagramSender,
    webhook: instagram,
    secrets: { app_secret: "ig-secret" },
    config: { instagram_scoped_id: "17841400000000009" },
    timestamped: false,
  },
  {
    name: "whatsapp",
    sender: whatsappSender,
    webhook: whatsapp,
    secrets: { app_secret: "wa-secret" },
    config: { business_account_id: "515151", phone_number_id: "616161" },
    timestamped: false,
  },
  {
    name: "twilio",
    sender: twilioSender,
    webhook: twilio,
    secrets: { auth_token: "twilio-token" },
    config: { account_sid: `AC${"0".repeat(32)}`, from_phone_number: "+15550001111" },
    timestamped: false,
  },
  {
    name: "twilio_whatsapp",
    sender: twilioWhatsappSender,
    webhook: twilio,
    secrets: { auth_token: "twilio-token" },
    config: { account_sid: `AC${"0".repeat(32)}`, from_whatsapp: "+14155238886" },
    timestamped: false,
  },
  {
    name: "sendgrid",
    sender: sendgridSender,
    webhook: sendgrid,
    secrets: {},
    config: { webhook_public_key: SANDBOX_SENDGRID_PUBLIC_KEY },
    timestamped: true,
  },
  {
    name: "mailgun",
    sender: mailgunSender,
    webhook: mailgun,
    secrets: { webhook_signing_key: "mg-signing-key" },
    config: { domain: "mg.example.com" },
    timestamped: true,
  },
  {
    name: "mailchimp",
    sender: mailchimpSender,
    webhook: mailchimp,
    secrets: { webhook_key: "mandrill-key" },
    config: {},
    timestamped: false,
  },
];

const NOW = Date.parse("2026-03-01T12:00:00Z");

async function fire(
  c: SenderCase,
  event?: string,
  data?: Record<string, string>,
  fault?: (typeof WEBHOOK_FAULTS)[number],
) {
  const req = await c.sender.build({
    url: `https://hub.test/webhooks/${c.name}/3f1c2a9e-0000-4000-8000-000000000001`,
    secrets: c.secrets,
    config: c.config,
    ...(event ? { event } : {}),
    ...(data ? { data } : {}),
    ...(fault ? { fault } : {}),
    now: NOW,
  });
  const wr = await fromRequest(req);
  const verdict = await c.webhook.verify(wr, context({ secrets: c.secrets, config: c.config, now: NOW }));
  return { wr, verdict };
}

/** The effects of the event the sender fires. */
async function effectsOf(
  c: SenderCase,
  event: string,
  data: Record<string, string> = {},
): Promise<WebhookEffect[]> {
  const { wr, verdict } = await fire(c, event, data);
  expect(verdict).toEqual({ ok: true });
  return c.webhook.effects?.(c.webhook.describe(wr)?.payload) ?? [];
}

describe("sandbox senders", () => {
  for (const c of cases) {
    it(`${c.name}: every event verifies; every fault is refused`, async () => {
      for (const event of c.sender.events) {
        const { wr, verdict } = await fire(c, event);
        expect(verdict, `${c.name} ${event}`).toEqual({ ok: true });
        expect(c.webhook.describe(wr)?.type, `${c.name} ${event}`).toBeTruthy();
      }
      for (const fault of WEBHOOK_FAULTS) {
        const { verdict } = await fire(c, undefined, undefined, fault);
        const expectOk = !c.timestamped && (fault === "stale" || fault === "future");
        expect(verdict.ok, `${c.name} ${fault}`).toBe(expectOk);
      }
    });
  }

  const byName = (name: string) => cases.find((c) => c.name === name) as SenderCase;

  it("facebook: a lead, an inbound Messenger message, a delivery receipt", async () => {
    const fb = byName("facebook");
    const lead = await fire(fb, "leadgen", { leadgen_id: "987654321" });
    expect(fb.webhook.describe(lead.wr)).toMatchObject({ type: "leadgen", id: "987654321" });
    expect(fb.webhook.routingIds?.(fb.webhook.describe(lead.wr)?.payload)).toEqual(["424242"]);
    expect(await effectsOf(fb, "leadgen", { leadgen_id: "987654321" })).toEqual([
      {
        kind: "lead",
        leadgenId: "987654321",
        formId: "200000000000001",
        pageId: "424242",
        adId: "300000000000001",
        createdTime: new Date(Math.floor(NOW / 1000) * 1000).toISOString(),
      },
    ]);
    expect(await effectsOf(fb, "message", { from: "555", text: "hi", provider_message_id: "m_abc" })).toEqual(
      [
        {
          kind: "message.inbound",
          channel: "messenger",
          from: "555",
          to: "424242",
          text: "hi",
          providerMessageId: "m_abc",
        },
      ],
    );
    expect(await effectsOf(fb, "delivery", { provider_message_id: "m_out" })).toEqual([
      { kind: "message.status", providerMessageId: "m_out", status: "delivered", detail: "delivered" },
    ]);
  });

  it("instagram: an inbound Direct message and a read receipt", async () => {
    const ig = byName("instagram");
    expect(await effectsOf(ig, "message", { from: "777", text: "yo", provider_message_id: "m_ig" })).toEqual([
      {
        kind: "message.inbound",
        channel: "instagram",
        from: "777",
        to: "17841400000000009",
        text: "yo",
        providerMessageId: "m_ig",
      },
    ]);
    expect(await effectsOf(ig, "read", { provider_message_id: "m_out" })).toEqual([
      { kind: "message.status", providerMessageId: "m_out", status: "delivered", detail: "read" },
    ]);
    const { wr } = await fire(ig, "message");
    expect(ig.webhook.routingIds?.(ig.webhook.describe(wr)?.payload)).toEqual(["17841400000000009"]);
  });

  it("whatsapp: statuses (read counts as delivered, failed carries the error title) and an inbound message", async () => {
    const wa = byName("whatsapp");
    const status = await fire(wa, "status", { provider_message_id: "wamid.X1" });
    expect(wa.webhook.describe(status.wr)).toMatchObject({ type: "statuses", id: "wamid.X1:delivered" });
    expect(wa.webhook.routingIds?.(wa.webhook.describe(status.wr)?.payload)).toEqual(["515151"]);
    expect(await effectsOf(wa, "status", { provider_message_id: "wamid.X1", status: "read" })).toEqual([
      { kind: "message.status", providerMessageId: "wamid.X1", status: "delivered", detail: "read" },
    ]);
    expect(await effectsOf(wa, "status", { provider_message_id: "wamid.X1", status: "sent" })).toEqual([
      { kind: "message.status", providerMessageId: "wamid.X1", status: "sent", detail: "sent" },
    ]);
    expect(await effectsOf(wa, "status", { provider_message_id: "wamid.X1", status: "failed" })).toEqual([
      {
        kind: "message.status",
        providerMessageId: "wamid.X1",
        status: "failed",
        detail: "failed",
        error: "Message undeliverable",
      },
    ]);
    expect(
      await effectsOf(wa, "message", {
        from: "+44 7700 900123",
        text: "hello",
        provider_message_id: "wamid.IN",
      }),
    ).toEqual([
      {
        kind: "message.inbound",
        channel: "whatsapp",
        from: "+447700900123",
        to: "+15550100000",
        text: "hello",
        providerMessageId: "wamid.IN",
      },
    ]);
  });

  it("twilio: status callbacks and inbound SMS; WhatsApp via Twilio strips the prefix", async () => {
    const tw = byName("twilio");
    const sid = `SM${"a".repeat(32)}`;
    const status = await fire(tw, "status", { provider_message_id: sid });
    expect(tw.webhook.describe(status.wr)).toMatchObject({ type: "delivered", id: `${sid}:delivered` });
    expect(await effectsOf(tw, "status", { provider_message_id: sid })).toEqual([
      { kind: "message.status", providerMessageId: sid, status: "delivered", detail: "delivered" },
    ]);
    expect(await effectsOf(tw, "status", { provider_message_id: sid, status: "undelivered" })).toEqual([
      {
        kind: "message.status",
        providerMessageId: sid,
        status: "failed",
        detail: "undelivered",
        error: "Twilio error 30003",
      },
    ]);
    const inbound = await fire(tw, "inbound", { provider_message_id: sid });
    expect(tw.webhook.describe(inbound.wr)).toMatchObject({ type: "received", id: sid });
    expect(
      await effectsOf(tw, "inbound", { provider_message_id: sid, from: "+15557654321", text: "STOP" }),
    ).toEqual([
      {
        kind: "message.inbound",
        channel: "sms",
        from: "+15557654321",
        to: "+15550001111",
        text: "STOP",
        providerMessageId: sid,
      },
    ]);
    const twa = byName("twilio_whatsapp");
    expect(
      await effectsOf(twa, "inbound", { provider_message_id: sid, from: "+15557654321", text: "hola" }),
    ).toEqual([
      {
        kind: "message.inbound",
        channel: "whatsapp",
        from: "+15557654321",
        to: "+14155238886",
        text: "hola",
        providerMessageId: sid,
      },
    ]);
  });

  it("sendgrid: our message id from custom args, SendGrid's id before the first dot", async () => {
    const sg = byName("sendgrid");
    const data = { message_id: "msg_01", provider_message_id: "AbCdEfGhIjKlMnOpQrStUv", event_id: "evt_1" };
    const { wr } = await fire(sg, "delivered", data);
    expect(sg.webhook.describe(wr)).toMatchObject({ type: "delivered", id: "evt_1" });
    expect(await effectsOf(sg, "delivered", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_01",
        providerMessageId: "AbCdEfGhIjKlMnOpQrStUv",
        status: "delivered",
        detail: "delivered",
      },
    ]);
    expect(await effectsOf(sg, "bounce", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_01",
        providerMessageId: "AbCdEfGhIjKlMnOpQrStUv",
        status: "failed",
        detail: "bounce",
        error: "550 5.1.1 The email account that you tried to reach does not exist.",
        suppress: "hard_bounce",
      },
    ]);
    expect((await effectsOf(sg, "processed", data))[0]).toMatchObject({ status: "sent" });
  });

  it("mailgun: our message id from user-variables, the Message-Id without brackets", async () => {
    const mg = byName("mailgun");
    const data = {
      message_id: "msg_02",
      provider_message_id: "20260301120000.abc@mg.example.com",
      event_id: "ev-9",
    };
    const { wr } = await fire(mg, "delivered", data);
    expect(mg.webhook.describe(wr)).toMatchObject({ type: "delivered", id: "ev-9" });
    expect(await effectsOf(mg, "delivered", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_02",
        providerMessageId: "20260301120000.abc@mg.example.com",
        status: "delivered",
        detail: "delivered",
      },
    ]);
    expect(await effectsOf(mg, "failed", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_02",
        providerMessageId: "20260301120000.abc@mg.example.com",
        status: "failed",
        detail: "failed",
        error: "5.1.1 The email account that you tried to reach does not exist.",
        suppress: "hard_bounce",
      },
    ]);
  });

  it("mailchimp: our message id from metadata, Mandrill's _id", async () => {
    const md = byName("mailchimp");
    const data = { message_id: "msg_03", provider_message_id: "0123456789abcdef0123456789abcdef" };
    const { wr } = await fire(md, "send", data);
    expect(md.webhook.describe(wr)).toMatchObject({
      type: "send",
      id: `0123456789abcdef0123456789abcdef:send:${Math.floor(NOW / 1000)}`,
    });
    expect(await effectsOf(md, "send", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_03",
        providerMessageId: "0123456789abcdef0123456789abcdef",
        status: "delivered",
        detail: "send",
      },
    ]);
    expect(await effectsOf(md, "hard_bounce", data)).toEqual([
      {
        kind: "message.status",
        messageId: "msg_03",
        providerMessageId: "0123456789abcdef0123456789abcdef",
        status: "failed",
        detail: "hard_bounce",
        error: "bad_mailbox",
        suppress: "hard_bounce",
      },
    ]);
    expect((await effectsOf(md, "deferral", data))[0]).toMatchObject({ status: "sent" });
  });
});
