/**
 * HubSpot CRM object webhooks: a JSON array with one `contact.creation` event, signed with the
 * app's client secret as HubSpot sends it: v3 (HMAC with a millisecond timestamp) and, for
 * backward compatibility, v1 (SHA-256 of secret and body).
 */
import { faultSkewSeconds, type WebhookSender, wrongSecret } from "./sender.ts";
import { hubspotV1, hubspotV3 } from "./signing.ts";

let nextEventId = 1_000_000 + Math.floor(Math.random() * 1_000_000);

export const hubspot: WebhookSender = {
  events: ["contact.creation"],
  async build(o) {
    // Without a secret the hub refuses the delivery whatever signs it; WebCrypto needs some key.
    const secret = o.secrets.client_secret || "unset";
    const key = o.fault === "bad_signature" ? wrongSecret(secret) : secret;
    const now = o.now ?? Date.now();
    const url = new URL(o.url).href;
    const events = [
      {
        eventId: o.data?.event_id ? Number(o.data.event_id) : nextEventId++,
        subscriptionId: 2_345_678,
        portalId: 62_515,
        appId: 54_321,
        occurredAt: now - 1_000,
        subscriptionType: "contact.creation",
        attemptNumber: 0,
        objectId: Number(o.data?.object_id ?? 1_000 + Math.floor(Math.random() * 100_000)),
        changeFlag: "CREATED",
        changeSource: "CRM",
      },
    ];
    const body = JSON.stringify(events);
    const timestamp = String(now + faultSkewSeconds(o.fault) * 1000);
    const headers = new Headers({ "content-type": "application/json" });
    if (o.fault !== "missing_signature") {
      headers.set("x-hubspot-signature-v3", await hubspotV3(key, "POST", url, body, timestamp));
      headers.set("x-hubspot-request-timestamp", timestamp);
      headers.set("x-hubspot-signature", await hubspotV1(key, body));
      headers.set("x-hubspot-signature-version", "v1");
    }
    return new Request(url, {
      method: "POST",
      headers,
      body: o.fault === "tampered" ? body.replace('"CRM"', '"IMPORT"') : body,
    });
  },
};
