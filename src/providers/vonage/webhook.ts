/**
 * Vonage SMS API webhooks (inbound messages and delivery receipts), signed with the account's
 * signature secret: the `sig` parameter is the hex HMAC of every other parameter, sorted by key
 * and joined as `&key=value` with `&` and `=` inside values replaced by `_` (the SDK's
 * `verifySignature`), compared case-insensitively. The signed `timestamp` parameter (seconds)
 * must be within the replay window. Parameters arrive in the query (GET), a form or a JSON body
 * (POST). WebCrypto has no MD5, so only the HMAC-SHA1/256/512 methods are verified.
 */
import { field } from "../runtime.ts";
import {
  bodyForm,
  bodyJson,
  type DeliveryStatus,
  type HmacHash,
  hmacHex,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  safeEqual,
  type WebhookEffect,
  type WebhookRequest,
} from "../webhooks.ts";

/** The `signature_method` setting's values and the HMAC each names. */
export const METHODS: Record<string, HmacHash> = { sha256: "SHA-256", sha512: "SHA-512", sha1: "SHA-1" };

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
    const hash = METHODS[method];
    if (!hash) return refused(`signature method ${method} cannot be verified; choose an HMAC-SHA method`);
    const p = params(req);
    if (!p.sig) return refused("missing sig parameter");
    const expected = await hmacHex(hash, secret, signedString(p));
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
