/**
 * Vonage SMS API webhooks (inbound messages and delivery receipts), signed with the account's
 * signature secret: the `sig` parameter is computed over every other parameter, sorted by key
 * and joined as `&key=value` with `&` and `=` inside values replaced by `_` (the SDK's
 * `verifySignature`), by the signature method chosen in the dashboard: `md5hash` is the hex MD5
 * of that string followed by the secret; `md5`, `sha1`, `sha256` and `sha512` are the hex HMAC of
 * it keyed with the secret. Compared case-insensitively, in constant time. The signed
 * `timestamp` parameter (seconds) must be within the replay window. Parameters arrive in the
 * query (GET), a form or a JSON body (POST). WebCrypto has no MD5: Workers' `digest("MD5")`
 * (a documented non-standard extension) is used, and HMAC-MD5 is built on it (RFC 2104).
 */
import { toHex, utf8 } from "../../crypto/encoding.ts";
import { field } from "../runtime.ts";
import {
  bodyForm,
  bodyJson,
  concatBytes,
  type DeliveryStatus,
  hmacHex,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  safeEqual,
  type WebhookEffect,
  type WebhookRequest,
} from "../webhooks.ts";

const md5 = async (data: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("MD5", data));

/** HMAC-MD5 (RFC 2104) over the MD5 digest, with MD5's 64-byte block. */
async function hmacMd5(key: string, data: string): Promise<Uint8Array> {
  const raw = utf8(key);
  const block = new Uint8Array(64);
  block.set(raw.length > 64 ? await md5(raw) : raw);
  const inner = await md5(
    concatBytes(
      block.map((b) => b ^ 0x36),
      data,
    ),
  );
  return md5(
    concatBytes(
      block.map((b) => b ^ 0x5c),
      inner,
    ),
  );
}

/** The `signature_method` setting's values (the dashboard's methods) and how each signs, in hex. */
export const METHODS: Record<string, (secret: string, signed: string) => Promise<string>> = {
  md5hash: async (secret, signed) => toHex(await md5(utf8(signed + secret))),
  md5: async (secret, signed) => toHex(await hmacMd5(secret, signed)),
  sha1: (secret, signed) => hmacHex("SHA-1", secret, signed),
  sha256: (secret, signed) => hmacHex("SHA-256", secret, signed),
  sha512: (secret, signed) => hmacHex("SHA-512", secret, signed),
};

/** Delivery receipt statuses; `unknown` and anything else move nothing. */
const STATUSES: Record<string, DeliveryStatus> = {
  accepted: "sent",
  buffered: "sent",
  delivered: "delivered",
  expired: "failed",
  failed: "failed",
  rejected: "failed",
};

/** The webhook's parameters, wherever Vonage put them. */
function params(req: WebhookRequest): Record<string, string> {
  if (req.method === "GET") return Object.fromEntries(new URL(req.url).searchParams);
  if (req.headers.get("content-type")?.includes("json")) {
    const json = bodyJson(req);
    if (!json || typeof json !== "object" || Array.isArray(json)) return {};
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(bodyForm(req));
}

/** The string Vonage signs: every parameter but `sig`, sorted, as `&key=value`. */
export const signedString = (p: Record<string, string>): string =>
  Object.keys(p)
    .filter((k) => k !== "sig")
    .sort()
    .map((k) => `&${k}=${p[k]?.replace(/[&=]/g, "_")}`)
    .join("");

/** A bare number as E.164 (Vonage leaves out the `+`). */
const e164 = (n: string) => (/^\d+$/.test(n) ? `+${n}` : n);

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const secret = ctx.secrets.signature_secret;
    if (!secret) return missingSecret("signature secret");
    const method = String(ctx.config.signature_method ?? "sha256");
    const sign = METHODS[method];
    if (!sign) return refused(`unknown signature method ${method}`);
    const p = params(req);
    if (!p.sig) return refused("missing sig parameter");
    const expected = await sign(secret, signedString(p));
    if (!(await safeEqual(p.sig.toLowerCase(), expected))) return refused("signature does not match");
    const stale = replayWindowError(p.timestamp, ctx.now);
    return stale ? refused(stale) : { ok: true };
  },

  describe(req) {
    const p = params(req);
    const id = p.messageId;
    if (p.status !== undefined)
      return { type: p.status, ...(id ? { id: `${id}:${p.status}` } : {}), payload: p };
    return { type: "inbound", ...(id ? { id } : {}), payload: p };
  },

  effects(payload) {
    const id = field(payload, "messageId");
    const status = field(payload, "status");
    if (typeof status === "string") {
      const mapped = STATUSES[status];
      if (!mapped) return [];
      const ref = field(payload, "client-ref");
      const err = field(payload, "err-code");
      const effect: WebhookEffect = {
        kind: "message.status",
        ...(typeof ref === "string" && ref ? { messageId: ref } : {}),
        ...(typeof id === "string" ? { providerMessageId: id } : {}),
        status: mapped,
        detail: status,
        ...(typeof err === "string" && err !== "0" ? { error: `err-code ${err}` } : {}),
      };
      return [effect];
    }
    const msisdn = field(payload, "msisdn");
    if (typeof msisdn !== "string") return [];
    const to = field(payload, "to");
    const text = field(payload, "text");
    const effect: WebhookEffect = {
      kind: "message.inbound",
      channel: "sms",
      from: e164(msisdn),
      ...(typeof to === "string" ? { to: e164(to) } : {}),
      ...(typeof text === "string" ? { text } : {}),
      ...(typeof id === "string" ? { providerMessageId: id } : {}),
    };
    return [effect];
  },
};
