/**
 * What the Meta senders (Facebook, Instagram, WhatsApp) share: the `X-Hub-Signature-256:
 * sha256=<hex>` header, HMAC-SHA256 of the JSON body keyed with the app secret, and Meta-style
 * ids. Meta signs no timestamp, so `stale` and `future` are signed normally.
 */
import { type FireOptions, randomHex, wrongSecret } from "./sender.ts";
import { metaSignature } from "./signing.ts";

/** A Meta-style numeric id (Page-scoped user ids, lead ids) of `length` digits. */
export function randomDigits(length = 16): string {
  let s = String(1 + Math.floor(Math.random() * 9));
  while (s.length < length) s += String(Math.floor(Math.random() * 10));
  return s;
}

/** A Messenger or Instagram message id. */
export const randomMid = (): string => `m_${randomHex(24)}`;

/** The POST Meta makes: the JSON body signed with the integration's app secret, or broken on purpose. */
export async function metaRequest(o: FireOptions, payload: unknown): Promise<Request> {
  // Meta signs whether or not the integration holds the secret; the hub then refuses the delivery.
  const secret = o.secrets.app_secret || "unconfigured-app-secret";
  let body = JSON.stringify(payload);
  const headers = new Headers({ "content-type": "application/json" });
  if (o.fault !== "missing_signature") {
    const key = o.fault === "bad_signature" ? wrongSecret(secret) : secret;
    headers.set("x-hub-signature-256", await metaSignature(key, body));
  }
  if (o.fault === "tampered") body = body.replace('"entry":', '"tampered":true,"entry":');
  return new Request(o.url, { method: "POST", headers, body });
}
