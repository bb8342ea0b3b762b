/**
 * Webhooks signed by the providers' own libraries, posted to the real worker (started by the
 * client project's global setup): Twilio with `getExpectedTwilioSignature`, Standard Webhooks
 * with `Webhook.sign`, SendGrid with Node's ECDSA and checked by @sendgrid/eventwebhook first,
 * Plivo signed from its documented V3 algorithm and checked by `validateV3Signature` first,
 * Vonage in each signature method (md5hash and the MD5, SHA-1, SHA-256, SHA-512 HMACs) signed
 * from its documented algorithm with Node's crypto and checked by @vonage/sms
 * `verifySignature` first, and Telegram's secret token. Correctly signed: accepted (2xx) and stored; signed with a wrong
 * secret: 401 and nothing stored. The hub's verifier code is not imported here.
 */
import { createHash, createHmac, generateKeyPairSync, sign } from "node:crypto";
import { EventWebhook } from "@sendgrid/eventwebhook";
import { AlgorithmTypes, Auth } from "@vonage/auth";
import { SMS } from "@vonage/sms";
import plivoLib from "plivo";
import { Webhook } from "standardwebhooks";
import twilioLib from "twilio";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { plivo } from "../../src/sandbox/webhooks/plivo.ts";
import type { WebhookSender } from "../../src/sandbox/webhooks/sender.ts";
import { sendgrid } from "../../src/sandbox/webhooks/sendgrid.ts";
import { telegram } from "../../src/sandbox/webhooks/telegram.ts";
import { twilio } from "../../src/sandbox/webhooks/twilio.ts";
import { vonage } from "../../src/sandbox/webhooks/vonage.ts";
import type { Switchboard } from "../client/global-setup.ts";

const hub: Switchboard = inject("switchboard");

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${hub.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** How many webhook events the hub stored for an integration. */
async function stored(id: string): Promise<number> {
  const r = await api("GET", `/api/integrations/${id}/webhook-events?limit=200`);
  return (r.events ?? r.webhook_events).length;
}

const sendgridKeys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const SENDGRID_PUBLIC = sendgridKeys.publicKey.export({ type: "spki", format: "der" }).toString("base64");

/** Plivo V3 for a POST to a URL without a query (plivo-node `lib/utils/v3Security.js`). */
const plivoV3 = (token: string, url: string, fields: URLSearchParams, nonce: string) => {
  const sorted = [...fields].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => k + v);
  return createHmac("sha256", token)
    .update(`${url}?${sorted.join("")}.${nonce}`)
    .digest("base64");
};

/**
 * Vonage's `sig`, written from Vonage's documented algorithm with Node's crypto: every parameter
 * but `sig`, sorted, as `&key=value` with `&` and `=` in values replaced by `_`; `md5hash` is MD5
 * of that followed by the secret, the other methods an HMAC keyed with the secret; hex.
 */
function vonageSig(method: string, secret: string, params: Record<string, string>): string {
  const signed = Object.keys(params)
    .filter((k) => k !== "sig")
    .sort()
    .map((k) => `&${k}=${String(params[k]).replace(/[&=]/g, "_")}`)
    .join("");
  if (method === "md5hash")
    return createHash("md5")
      .update(signed + secret)
      .digest("hex");
  return createHmac(method, secret).update(signed).digest("hex");
}

/** The SDK's name of each `signature_method` setting. */
const VONAGE_ALGORITHMS: Record<string, AlgorithmTypes> = {
  md5hash: AlgorithmTypes.md5hash,
  md5: AlgorithmTypes.md5hmac,
  sha1: AlgorithmTypes.sha1hmac,
  sha256: AlgorithmTypes.sha256hmac,
  sha512: AlgorithmTypes.sha512hmac,
};
const vonageSms = new SMS(new Auth({ apiKey: "a1b2c3d4", apiSecret: "vonage-api-secret" }));
const VONAGE_SECRET = "vonage-signature-secret-0123";

/** One case per Vonage signature method: signed with Node's crypto, checked by @vonage/sms first. */
const vonageCase = (method: string): Case => ({
  provider: "vonage",
  label: `vonage (${method})`,
  secret: VONAGE_SECRET,
  fields: (signature_secret) => ({
    api_key: "a1b2c3d4",
    api_secret: "vonage-api-secret",
    from_phone_number: "+447700900001",
    signature_secret,
    signature_method: method,
  }),
  sender: vonage,
  async sign(req, secret) {
    const params = JSON.parse(await req.clone().text()) as Record<string, string>;
    const sig = vonageSig(method, secret, params).toUpperCase();
    const algorithm = VONAGE_ALGORITHMS[method] as AlgorithmTypes;
    // The SDK's own check agrees only when signed with the integration's secret.
    expect(vonageSms.verifySignature(sig, params, VONAGE_SECRET, algorithm)).toBe(secret === VONAGE_SECRET);
    return new Request(req.url, {
      method: "POST",
      headers: req.headers,
      body: JSON.stringify({ ...params, sig }),
    });
  },
});

interface Case {
  /** The test's name (default: the provider id). */
  label?: string;
  provider: string;
  /** The integration's fields (its secret under `secret`'s name). */
  fields: (secret: string) => Record<string, unknown>;
  secret: string;
  /** A secret that is not the configured one (default: `secret` with a character added). */
  wrong?: string;
  /** Builds the unsigned payload, as the provider sends it. */
  sender: WebhookSender;
  /** Signs `req` with `secret` through the provider's library; returns the request to post. */
  sign: (req: Request, secret: string) => Promise<Request>;
}

const withHeaders = async (req: Request, headers: Record<string, string>) => {
  const h = new Headers(req.headers);
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  return new Request(req.url, { method: "POST", headers: h, body: await req.text() });
};

const CASES: Case[] = [
  {
    provider: "twilio",
    secret: "twilio-auth-token-0123456789abcdef",
    fields: (auth_token) => ({
      account_sid: `AC${"1".repeat(32)}`,
      auth_token,
      from_phone_number: "+14155550100",
    }),
    sender: twilio,
    async sign(req, secret) {
      const params = Object.fromEntries(new URLSearchParams(await req.clone().text()));
      return withHeaders(req, {
        "x-twilio-signature": twilioLib.getExpectedTwilioSignature(secret, req.url, params),
      });
    },
  },
  {
    provider: "other",
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    // Another key: a character added to base64 may decode to the same bytes.
    wrong: "whsec_d3JvbmctdGVuYW50LWtleS0wMTIzNDU2Nzg5YWI=",
    fields: (webhook_secret) => ({
      api_base_url: "https://api.example.com/v1",
      api_key: "sk_x",
      webhook_secret,
    }),
    sender: {
      events: ["event"],
      build: async (o) =>
        new Request(o.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            type: "order.created",
            timestamp: new Date().toISOString(),
            data: { id: "o_1" },
          }),
        }),
    },
    async sign(req, secret) {
      const body = await req.clone().text();
      const id = `msg_${crypto.randomUUID()}`;
      const at = new Date();
      return withHeaders(req, {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(id, at, body),
      });
    },
  },
  {
    provider: "sendgrid",
    secret: "unused",
    wrong: "wrong",
    fields: () => ({
      api_key: "SG.official",
      from_email: "a@example.com",
      webhook_public_key: SENDGRID_PUBLIC,
    }),
    sender: sendgrid,
    async sign(req, secret) {
      const body = await req.clone().text();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const key =
        secret === "unused"
          ? sendgridKeys.privateKey
          : generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
      const signature = sign("sha256", Buffer.from(timestamp + body), key).toString("base64");
      const ew = new EventWebhook();
      const pem = `-----BEGIN PUBLIC KEY-----\n${SENDGRID_PUBLIC}\n-----END PUBLIC KEY-----`;
      // The library agrees only with the right key.
      expect(ew.verifySignature(ew.convertPublicKeyToECDSA(pem), body, signature, timestamp)).toBe(
        secret === "unused",
      );
      return withHeaders(req, {
        "x-twilio-email-event-webhook-signature": signature,
        "x-twilio-email-event-webhook-timestamp": timestamp,
      });
    },
  },
  {
    provider: "plivo",
    secret: "plivo-auth-token-0123456789",
    fields: (auth_token) => ({
      auth_id: "MAXXXXXXXXXXXXXXXXXX",
      auth_token,
      from_phone_number: "+14155550100",
    }),
    sender: plivo,
    async sign(req, secret) {
      const fields = new URLSearchParams(await req.clone().text());
      const nonce = "12345678901234567890";
      const signature = plivoV3(secret, req.url, fields, nonce);
      expect(
        plivoLib.validateV3Signature("POST", req.url, nonce, secret, signature, Object.fromEntries(fields)),
      ).toBe(true);
      const h = new Headers(req.headers);
      for (const k of [...h.keys()]) if (k.startsWith("x-plivo")) h.delete(k);
      h.set("x-plivo-signature-v3", signature);
      h.set("x-plivo-signature-v3-nonce", nonce);
      return new Request(req.url, { method: "POST", headers: h, body: fields.toString() });
    },
  },
  {
    provider: "telegram",
    secret: "tg-secret_official_0123456789",
    fields: (webhook_secret) => ({ bot_token: "123456:ABCdef_ghi-jkl", webhook_secret }),
    sender: telegram,
    sign: (req, secret) => withHeaders(req, { "x-telegram-bot-api-secret-token": secret }),
  },
];

CASES.push(...Object.keys(VONAGE_ALGORITHMS).map(vonageCase));

describe.each(CASES.map((c) => ({ ...c, label: c.label ?? c.provider })))(
  "$label, signed by the provider's library",
  (c) => {
    let id: string;
    let url: string;
    beforeAll(async () => {
      const r = await api("POST", "/api/integrations", {
        provider: c.provider,
        name: `Official ${c.label}`,
        ...c.fields(c.secret),
      });
      id = r.integration.id;
      url = r.integration.webhook_url ?? `${hub.baseUrl}/webhooks/${c.provider}/${id}`;
    });

    const unsigned = () =>
      c.sender.build({
        url,
        secrets: {},
        config: {},
        fault: "missing_signature",
        data: { event_id: crypto.randomUUID() },
      });

    it("the right secret: accepted and stored", async () => {
      const before = await stored(id);
      const res = await fetch(await c.sign(await unsigned(), c.secret));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      // Accepted onto the webhooks queue; its consumer stores it within a batch timeout (1 s).
      await expect.poll(() => stored(id), { timeout: 15_000, interval: 100 }).toBe(before + 1);
    });

    it("a wrong secret: 401, nothing stored", async () => {
      const before = await stored(id);
      const res = await fetch(await c.sign(await unsigned(), c.wrong ?? `${c.secret}x`));
      expect(res.status).toBe(401);
      // A rightly signed one after it: once that one is stored, the rejected one would have been too.
      const right = await fetch(await c.sign(await unsigned(), c.secret));
      expect(right.status).toBeLessThan(300);
      await expect.poll(() => stored(id), { timeout: 15_000, interval: 100 }).toBeGreaterThan(before);
      expect(await stored(id)).toBe(before + 1);
    });
  },
);
