/**
 * Mailgun webhooks: one event (default `delivered`) in the current JSON format, with
 * `signature.signature` = hex HMAC-SHA256 keyed with the webhook signing key over
 * `timestamp + token`. Only those two fields are signed, so `tampered` changes the token.
 */
import { MESSAGE_ID_METADATA } from "../../providers/sendgrid/email-sender.ts";
import { faultSkewSeconds, randomHex, type WebhookSender, wrongSecret } from "./sender.ts";
import { mailgunSignature } from "./signing.ts";

/** What each sample event adds to the common fields. */
const DETAILS: Record<string, Record<string, unknown>> = {
  accepted: { method: "HTTP" },
  delivered: {
    "delivery-status": { code: 250, message: "OK", description: "", "attempt-no": 1, tls: true },
  },
  failed: {
    severity: "permanent",
    reason: "bounce",
    "delivery-status": {
      code: 550,
      message: "5.1.1 The email account that you tried to reach does not exist.",
      description: "",
      "attempt-no": 1,
    },
  },
  opened: { ip: "192.0.2.1", "client-info": { "client-type": "browser" } },
  clicked: { ip: "192.0.2.1", url: "https://example.com/" },
};

/** `20260101120000.0123456789abcdef@domain`, Mailgun's Message-Id without its angle brackets. */
function messageId(domain: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, "").slice(0, 14);
  return `${stamp}.${randomHex(8)}@${domain}`;
}

export const mailgun: WebhookSender = {
  events: ["delivered", "failed", "accepted", "opened", "clicked"],
  async build(o) {
    const event = o.event ?? "delivered";
    const now = o.now ?? Date.now();
    const domain = String(o.config.domain || "sandbox.mailgun.org");
    // Mailgun signs whether or not the integration holds the key; the hub then refuses the delivery.
    const key = o.secrets.webhook_signing_key || "unconfigured-signing-key";
    const timestamp = String(Math.floor(now / 1000) + faultSkewSeconds(o.fault));
    const token = randomHex(25);
    const signature = await mailgunSignature(
      o.fault === "bad_signature" ? wrongSecret(key) : key,
      timestamp,
      token,
    );
    const eventData = {
      id: o.data?.event_id ?? randomHex(11),
      timestamp: now / 1000,
      "log-level": event === "failed" ? "error" : "info",
      event,
      recipient: o.data?.to ?? "recipient@example.com",
      message: {
        headers: {
          "message-id": o.data?.provider_message_id ?? messageId(domain, now),
          from: `noreply@${domain}`,
          to: o.data?.to ?? "recipient@example.com",
          subject: "Hello from the Mailgun sandbox",
        },
      },
      "user-variables": o.data?.message_id ? { [MESSAGE_ID_METADATA]: o.data.message_id } : {},
      ...DETAILS[event],
    };
    const body = {
      signature: {
        timestamp,
        token: o.fault === "tampered" ? randomHex(25) : token,
        ...(o.fault === "missing_signature" ? {} : { signature }),
      },
      "event-data": eventData,
    };
    return new Request(o.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  },
};
