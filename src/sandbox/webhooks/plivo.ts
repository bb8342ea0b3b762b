/**
 * Plivo message callbacks, posted as a form: an inbound message (`inbound`) or a status callback
 * (`status`), signed with the Auth Token both ways Plivo signs: V3 (URL, query and fields, then
 * the nonce) and V2 (URL and nonce); `data.method: "GET"` sends the fields in the query instead.
 * Plivo has no timestamp, so `stale` and `future` sign normally.
 */
import { type FireOptions, type WebhookSender, wrongSecret } from "./sender.ts";
import { plivoV2, plivoV3 } from "./signing.ts";

/** A nonce like Plivo's: 20 random digits. */
const nonce = () => Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => b % 10).join("");

/** Plivo numbers are E.164 without the `+`. */
const bare = (n: string) => n.replace(/^\+/, "");

function sample(o: FireOptions): Record<string, string> {
  const ours = bare(String(o.config.from_phone_number ?? "+14155550100"));
  const uuid = o.data?.provider_message_id ?? o.data?.event_id ?? crypto.randomUUID();
  if (o.event === "status") {
    const status = o.data?.status ?? "delivered";
    return {
      From: ours,
      To: bare(o.data?.to ?? "14155550123"),
      MessageUUID: uuid,
      Status: status,
      ErrorCode: ["failed", "undelivered", "rejected"].includes(status) ? "200" : "",
      Units: "1",
      TotalRate: "0.00500",
      TotalAmount: "0.00500",
      MessageTime: new Date(o.now ?? Date.now()).toISOString().slice(0, 19).replace("T", " "),
    };
  }
  return {
    From: bare(o.data?.from ?? "14155550123"),
    To: bare(o.data?.to ?? ours),
    Type: "sms",
    Text: o.data?.text ?? "Hello from the Plivo sandbox",
    MessageUUID: uuid,
    Units: "1",
    TotalRate: "0",
    TotalAmount: "0",
  };
}

export const plivo: WebhookSender = {
  events: ["inbound", "status"],
  async build(o) {
    // Without a token the hub refuses the delivery whatever signs it; WebCrypto needs some key.
    const token = o.secrets.auth_token || "unset";
    const key = o.fault === "bad_signature" ? wrongSecret(token) : token;
    // A message's `method` may ask for GET: the fields then go in the query, which V3 signs.
    const get = o.data?.method === "GET";
    const target = new URL(o.url);
    if (get) for (const [k, v] of Object.entries(sample(o))) target.searchParams.append(k, v);
    const url = target.href;
    const fields = get ? new URLSearchParams() : new URLSearchParams(sample(o));
    const headers = new Headers(get ? {} : { "content-type": "application/x-www-form-urlencoded" });
    if (o.fault !== "missing_signature") {
      const v3Nonce = nonce();
      const v2Nonce = nonce();
      headers.set("x-plivo-signature-v3", await plivoV3(key, url, fields, v3Nonce));
      headers.set("x-plivo-signature-v3-nonce", v3Nonce);
      headers.set("x-plivo-signature-v2", await plivoV2(key, url, v2Nonce));
      headers.set("x-plivo-signature-v2-nonce", v2Nonce);
    }
    const changed = o.event === "status" ? "Status" : "Text";
    if (get) {
      if (o.fault === "tampered")
        target.searchParams.set(changed, `${target.searchParams.get(changed)} (tampered)`);
      return new Request(target.href, { method: "GET", headers });
    }
    if (o.fault === "tampered") fields.set(changed, `${fields.get(changed)} (tampered)`);
    return new Request(url, { method: "POST", headers, body: fields });
  },
};
