/**
 * QuickBooks Online webhooks, signed in `intuit-signature` with the webhook verifier token:
 * `customer` is a customer update in the classic `eventNotifications` format, `invoice` an
 * invoice creation in the CloudEvents format. There is no timestamp, so `stale` and `future`
 * sign normally.
 */
import { type FireOptions, type WebhookSender, wrongSecret } from "./sender.ts";
import { bodySignature } from "./signing.ts";

function sample(o: FireOptions, realmId: string, at: string): unknown {
  const recordId = o.data?.record_id ?? String(100 + Math.floor(Math.random() * 10_000));
  if (o.event === "invoice")
    return [
      {
        specversion: "1.0",
        id: o.data?.event_id ?? crypto.randomUUID(),
        source: "intuit.sandbox",
        type: "qbo.invoice.created.v1",
        datacontenttype: "application/json",
        time: at,
        intuitentityid: recordId,
        intuitaccountid: realmId,
        data: {},
      },
    ];
  return {
    eventNotifications: [
      {
        realmId,
        dataChangeEvent: {
          entities: [{ name: "Customer", id: recordId, operation: "Update", lastUpdated: at }],
        },
      },
    ],
  };
}

export const quickbooks: WebhookSender = {
  events: ["customer", "invoice"],
  async build(o) {
    // Without a token the hub refuses the delivery whatever signs it; WebCrypto needs some key.
    const token = o.secrets.webhook_verifier_token || "unset";
    const realmId = String(o.config.realm_id ?? "9341453050280512");
    const body = JSON.stringify(sample(o, realmId, new Date(o.now ?? Date.now()).toISOString()));
    const headers = new Headers({ "content-type": "application/json" });
    if (o.fault !== "missing_signature")
      headers.set(
        "intuit-signature",
        await bodySignature(o.fault === "bad_signature" ? wrongSecret(token) : token, body),
      );
    return new Request(o.url, {
      method: "POST",
      headers,
      body: o.fault === "tampered" ? body.replace(realmId, `${realmId}0`) : body,
    });
  },
};
