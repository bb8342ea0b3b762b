/**
 * The simulator's webhook senders (src/sandbox/webhooks/) agree with the providers' own
 * libraries: each request a sender builds is verified with the official verify function
 * (twilio, @hubspot/api-client, plivo, @sendgrid/eventwebhook, standardwebhooks, @vonage/sms in
 * each of Vonage's signature methods) or, where a
 * provider ships none, with Node's crypto following the provider's documented algorithm. A
 * `bad_signature` request is refused by the same check, so neither side can pass both ways.
 */
import { createHmac } from "node:crypto";
import { Signature } from "@hubspot/api-client";
import { EventWebhook } from "@sendgrid/eventwebhook";
import { AlgorithmTypes, Auth } from "@vonage/auth";
import { SMS } from "@vonage/sms";
import plivoLib from "plivo";
import { Webhook } from "standardwebhooks";
import twilioLib from "twilio";
import { describe, expect, it } from "vitest";
import { facebook } from "../../src/sandbox/webhooks/facebook.ts";
import { hubspot } from "../../src/sandbox/webhooks/hubspot.ts";
import { mailchimp } from "../../src/sandbox/webhooks/mailchimp.ts";
import { mailgun } from "../../src/sandbox/webhooks/mailgun.ts";
import { other } from "../../src/sandbox/webhooks/other.ts";
import { plivo } from "../../src/sandbox/webhooks/plivo.ts";
import { quickbooks } from "../../src/sandbox/webhooks/quickbooks.ts";
import type { FireOptions, WebhookSender } from "../../src/sandbox/webhooks/sender.ts";
import { SANDBOX_SENDGRID_PUBLIC_KEY, sendgrid } from "../../src/sandbox/webhooks/sendgrid.ts";
import { telegram } from "../../src/sandbox/webhooks/telegram.ts";
import { twilio } from "../../src/sandbox/webhooks/twilio.ts";
import { vonage } from "../../src/sandbox/webhooks/vonage.ts";
import { xero } from "../../src/sandbox/webhooks/xero.ts";

const URL_OF = (provider: string) =>
  `https://hub.example/webhooks/${provider}/3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c`;
const hmac = (alg: string, key: string | Buffer, data: string) => createHmac(alg, key).update(data);

interface Built {
  req: Request;
  body: string;
}
async function build(sender: WebhookSender, o: Omit<FireOptions, "url">, provider: string): Promise<Built> {
  const req = await sender.build({ ...o, url: URL_OF(provider) });
  return { req, body: await req.clone().text() };
}

/** A provider, its sender's options, and the official (or independent) check of a request. */
interface Case {
  provider: string;
  sender: WebhookSender;
  options: Omit<FireOptions, "url">;
  verify: (b: Built) => boolean;
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
const header = (b: Built, name: string) => b.req.headers.get(name) ?? "";

const CASES: Case[] = [
  {
    provider: "twilio",
    sender: twilio,
    options: { secrets: { auth_token: "twilio-auth-token-0123" }, config: {} },
    verify: (b) =>
      twilioLib.validateRequest(
        "twilio-auth-token-0123",
        header(b, "x-twilio-signature"),
        b.req.url,
        form(b.body),
      ),
  },
  {
    provider: "hubspot",
    sender: hubspot,
    options: { secrets: { client_secret: "hubspot-client-secret" }, config: {} },
    verify: (b) =>
      Signature.isValid({
        signatureVersion: "v3",
        method: "POST",
        clientSecret: "hubspot-client-secret",
        requestBody: b.body,
        url: b.req.url,
        signature: header(b, "x-hubspot-signature-v3"),
        timestamp: Number(header(b, "x-hubspot-request-timestamp")),
      }) &&
      Signature.isValid({
        signatureVersion: "v1",
        clientSecret: "hubspot-client-secret",
        requestBody: b.body,
        signature: header(b, "x-hubspot-signature"),
      }),
  },
  {
    provider: "plivo",
    sender: plivo,
    options: { secrets: { auth_token: "plivo-auth-token-0123" }, config: {}, event: "inbound" },
    verify: (b) =>
      Boolean(
        plivoLib.validateV3Signature(
          "POST",
          b.req.url,
          header(b, "x-plivo-signature-v3-nonce"),
          "plivo-auth-token-0123",
          header(b, "x-plivo-signature-v3"),
          form(b.body),
        ),
      ) &&
      Boolean(
        plivoLib.validateSignature(
          b.req.url,
          header(b, "x-plivo-signature-v2-nonce"),
          header(b, "x-plivo-signature-v2"),
          "plivo-auth-token-0123",
        ),
      ),
  },
  {
    provider: "sendgrid",
    sender: sendgrid,
    options: { secrets: {}, config: {} },
    verify: (b) => {
      const ew = new EventWebhook();
      const key = ew.convertPublicKeyToECDSA(
        `-----BEGIN PUBLIC KEY-----\n${SANDBOX_SENDGRID_PUBLIC_KEY}\n-----END PUBLIC KEY-----`,
      );
      return ew.verifySignature(
        key,
        b.body,
        header(b, "x-twilio-email-event-webhook-signature"),
        header(b, "x-twilio-email-event-webhook-timestamp"),
      );
    },
  },
  {
    provider: "other",
    sender: other,
    options: { secrets: { webhook_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, config: {} },
    verify: (b) => {
      try {
        new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(
          b.body,
          Object.fromEntries(b.req.headers),
        );
        return true;
      } catch {
        return false;
      }
    },
  },
  // No official verifier: Node's crypto and the documented algorithm.
  {
    provider: "facebook",
    sender: facebook,
    options: { secrets: { app_secret: "meta-app-secret" }, config: {} },
    verify: (b) =>
      header(b, "x-hub-signature-256") ===
      `sha256=${hmac("sha256", "meta-app-secret", b.body).digest("hex")}`,
  },
  {
    provider: "mailgun",
    sender: mailgun,
    options: { secrets: { webhook_signing_key: "mailgun-signing-key" }, config: {} },
    verify: (b) => {
      const { signature: s } = JSON.parse(b.body) as { signature: Record<string, string> };
      return s.signature === hmac("sha256", "mailgun-signing-key", `${s.timestamp}${s.token}`).digest("hex");
    },
  },
  {
    provider: "mailchimp",
    sender: mailchimp,
    options: { secrets: { webhook_key: "mandrill-webhook-key" }, config: {} },
    verify: (b) => {
      // Mandrill: the URL, then each POST field name and value in sorted order; base64 HMAC-SHA1.
      const fields = Object.entries(form(b.body)).sort(([a], [c]) => (a < c ? -1 : 1));
      const signed = b.req.url + fields.map(([k, v]) => k + v).join("");
      return (
        header(b, "x-mandrill-signature") === hmac("sha1", "mandrill-webhook-key", signed).digest("base64")
      );
    },
  },
  {
    provider: "quickbooks",
    sender: quickbooks,
    options: { secrets: { webhook_verifier_token: "intuit-verifier-token" }, config: {} },
    verify: (b) =>
      header(b, "intuit-signature") === hmac("sha256", "intuit-verifier-token", b.body).digest("base64"),
  },
  {
    provider: "xero",
    sender: xero,
    options: { secrets: { webhook_key: "xero-webhook-key" }, config: {} },
    verify: (b) =>
      header(b, "x-xero-signature") === hmac("sha256", "xero-webhook-key", b.body).digest("base64"),
  },
  {
    provider: "telegram",
    sender: telegram,
    options: { secrets: { webhook_secret: "telegram-secret-token" }, config: {} },
    verify: (b) => header(b, "x-telegram-bot-api-secret-token") === "telegram-secret-token",
  },
];

/** The SDK's name of each Vonage `signature_method` setting. */
const VONAGE_ALGORITHMS: Record<string, AlgorithmTypes> = {
  md5hash: AlgorithmTypes.md5hash,
  md5: AlgorithmTypes.md5hmac,
  sha1: AlgorithmTypes.sha1hmac,
  sha256: AlgorithmTypes.sha256hmac,
  sha512: AlgorithmTypes.sha512hmac,
};
const vonageSms = new SMS(new Auth({ apiKey: "a1b2c3d4", apiSecret: "vonage-api-secret" }));

// Vonage, in every signature method the dashboard offers: @vonage/sms `verifySignature`.
for (const [method, algorithm] of Object.entries(VONAGE_ALGORITHMS)) {
  CASES.push({
    provider: `vonage (${method})`,
    sender: vonage,
    options: {
      secrets: { signature_secret: "vonage-signature-secret" },
      config: { signature_method: method },
    },
    verify: (b) => {
      const params = JSON.parse(b.body) as Record<string, string>;
      return vonageSms.verifySignature(params.sig ?? "", params, "vonage-signature-secret", algorithm);
    },
  });
}

describe.each(CASES)("the sandbox's $provider sender", ({ provider, sender, options, verify }) => {
  it.each(sender.events)("%s: verified by the provider's own check", async (event) => {
    expect(verify(await build(sender, { ...options, event }, provider))).toBe(true);
  });

  it("bad_signature and tampered: refused by the same check", async () => {
    expect(verify(await build(sender, { ...options, fault: "bad_signature" }, provider))).toBe(false);
    // Telegram's secret token signs nothing: a changed body cannot be seen there.
    if (provider !== "telegram")
      expect(verify(await build(sender, { ...options, fault: "tampered" }, provider))).toBe(false);
  });
});
