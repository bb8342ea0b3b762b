/**
 * Vonage SMS API webhooks, posted as JSON: an inbound message (`inbound`) or a delivery receipt
 * (`status`), signed in the `sig` parameter with the signature secret by the `signature_method`
 * (md5hash, or the MD5, SHA-1, SHA-256 or SHA-512 HMAC), with `timestamp` and `nonce` among the
 * signed parameters.
 */
import { type FireOptions, faultSkewSeconds, randomHex, type WebhookSender, wrongSecret } from "./sender.ts";
import { vonageSignature } from "./signing.ts";

/** Vonage numbers are E.164 without the `+`. */
const bare = (n: string) => n.replace(/^\+/, "");

/** `2026-05-01 12:00:00`, Vonage's UTC time format. */
const vonageTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

function sample(o: FireOptions, now: number): Record<string, string> {
  const ours = bare(String(o.config.from_phone_number ?? "+447700900001"));
  const messageId = o.data?.provider_message_id ?? o.data?.event_id ?? randomHex(8).toUpperCase();
  if (o.event === "status")
    return {
      msisdn: bare(o.data?.to ?? "447700900123"),
      to: ours,
      "network-code": "23410",
      messageId,
      price: "0.03330000",
      status: o.data?.status ?? "delivered",
      scts: vonageTime(now).replace(/\D/g, "").slice(2, 12),
      "err-code": ["failed", "expired", "rejected"].includes(o.data?.status ?? "") ? "1" : "0",
      "api-key": String(o.config.api_key ?? "a1b2c3d4"),
      ...(o.data?.message_id ? { "client-ref": o.data.message_id } : {}),
      "message-timestamp": vonageTime(now),
    };
  return {
    msisdn: bare(o.data?.from ?? "447700900123"),
    to: bare(o.data?.to ?? ours),
    messageId,
    text: o.data?.text ?? "Hello from the Vonage sandbox",
    type: "text",
    keyword: "HELLO",
    "api-key": String(o.config.api_key ?? "a1b2c3d4"),
    "message-timestamp": vonageTime(now),
  };
}

export const vonage: WebhookSender = {
  events: ["inbound", "status"],
  async build(o) {
    // Without a secret the hub refuses the delivery whatever signs it; WebCrypto needs some key.
    const secret = o.secrets.signature_secret || "unset";
    const method = String(o.config.signature_method ?? "sha256");
    const now = o.now ?? Date.now();
    const params: Record<string, string> = {
      ...sample(o, now),
      timestamp: String(Math.floor(now / 1000) + faultSkewSeconds(o.fault)),
      nonce: crypto.randomUUID(),
    };
    const key = o.fault === "bad_signature" ? wrongSecret(secret) : secret;
    if (o.fault !== "missing_signature") params.sig = await vonageSignature(method, key, params);
    const changed = o.event === "status" ? "status" : "text";
    if (o.fault === "tampered") params[changed] = `${params[changed]} (tampered)`;
    const headers = new Headers({ "content-type": "application/json" });
    return new Request(o.url, { method: "POST", headers, body: JSON.stringify(params) });
  },
};
