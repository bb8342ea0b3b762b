/**
 * Xero webhooks, signed in `x-xero-signature` with the app's webhook key: `invoice` is an
 * invoice update, `intent` an intent-to-receive delivery (no events). There is no timestamp,
 * so `stale` and `future` sign normally.
 */
import { randomHex, type WebhookSender, wrongSecret } from "./sender.ts";
import { bodySignature } from "./signing.ts";

let nextSequence = 1 + Math.floor(Math.random() * 1_000);

export const xero: WebhookSender = {
  events: ["invoice", "intent"],
  async build(o) {
    // Without a key the hub refuses the delivery whatever signs it; WebCrypto needs some key.
    const key = o.secrets.webhook_key || "unset";
    const tenantId = String(o.config.tenant_id ?? crypto.randomUUID());
    const invoiceId = o.data?.record_id ?? crypto.randomUUID();
    const sequence = nextSequence++;
    const payload =
      o.event === "intent"
        ? { events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: randomHex(10).toUpperCase() }
        : {
            events: [
              {
                resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${invoiceId}`,
                resourceId: invoiceId,
                eventDateUtc: new Date(o.now ?? Date.now()).toISOString().slice(0, 23),
                eventType: "UPDATE",
                eventCategory: "INVOICE",
                tenantId,
                tenantType: "ORGANISATION",
              },
            ],
            firstEventSequence: sequence,
            lastEventSequence: sequence,
            entropy: randomHex(10).toUpperCase(),
          };
    const body = JSON.stringify(payload);
    const headers = new Headers({ "content-type": "application/json" });
    if (o.fault !== "missing_signature")
      headers.set(
        "x-xero-signature",
        await bodySignature(o.fault === "bad_signature" ? wrongSecret(key) : key, body),
      );
    return new Request(o.url, {
      method: "POST",
      headers,
      body: o.fault === "tampered" ? body.replace('"entropy":"', '"entropy":"X') : body,
    });
  },
};
