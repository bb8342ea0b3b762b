/**
 * Standard Webhooks deliveries for custom integrations: `event` is a JSON `{type, timestamp,
 * data}` with `webhook-id`, `webhook-timestamp` and a `v1,` signature keyed with the first
 * secret of the `whsec_` setting.
 */
import { faultSkewSeconds, randomHex, type WebhookSender } from "./sender.ts";
import { standardWebhookKeys, standardWebhookSignature } from "./signing.ts";

export const other: WebhookSender = {
  events: ["event"],
  async build(o) {
    const now = o.now ?? Date.now();
    const id = o.data?.event_id ?? `msg_${randomHex(12)}`;
    const timestamp = String(Math.floor(now / 1000) + faultSkewSeconds(o.fault));
    const data = {
      id: o.data?.record_id ?? randomHex(8),
      text: o.data?.text ?? "Hello from the webhook sandbox",
    };
    const payload = { type: o.data?.type ?? "sandbox.test", timestamp: new Date(now).toISOString(), data };
    const body = JSON.stringify(payload);
    // A random key signs for `bad_signature`, and when no valid secret is configured.
    const [configured] = standardWebhookKeys(o.secrets.webhook_secret ?? "");
    const key =
      o.fault === "bad_signature" || !configured ? crypto.getRandomValues(new Uint8Array(32)) : configured;
    const headers = new Headers({
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": timestamp,
    });
    if (o.fault !== "missing_signature")
      headers.set("webhook-signature", await standardWebhookSignature(key, id, timestamp, body));
    return new Request(o.url, {
      method: "POST",
      headers,
      body:
        o.fault === "tampered"
          ? JSON.stringify({ ...payload, data: { ...data, text: `${data.text} (tampered)` } })
          : body,
    });
  },
};
