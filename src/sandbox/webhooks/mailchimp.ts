/**
 * Mailchimp Transactional (Mandrill) webhooks: one event (default `send`) in the form field
 * `mandrill_events`, signed with `X-Mandrill-Signature` over the URL and the sorted form fields.
 * Mandrill signs no timestamp, so `stale` and `future` are signed normally.
 */
import { MESSAGE_ID_METADATA } from "../../providers/sendgrid/email-sender.ts";
import { randomHex, type WebhookSender, wrongSecret } from "./sender.ts";
import { mandrillSignature } from "./signing.ts";

/** The message state each sample event leaves, and what it adds to the message. */
const DETAILS: Record<string, { state: string; msg?: Record<string, unknown> }> = {
  send: { state: "sent" },
  deferral: { state: "deferred", msg: { diag: "451 4.3.5 Temporarily unavailable, try again later." } },
  hard_bounce: {
    state: "bounced",
    msg: { bounce_description: "bad_mailbox", diag: "smtp;550 5.1.1 The email account does not exist." },
  },
  soft_bounce: {
    state: "soft-bounced",
    msg: { bounce_description: "mailbox_full", diag: "smtp;552 5.2.2 Over quota" },
  },
  reject: { state: "rejected" },
  open: { state: "sent", msg: { opens: [{ ts: 0, ip: "192.0.2.1", location: "", ua: "Mozilla/5.0" }] } },
  click: { state: "sent", msg: { clicks: [{ ts: 0, url: "https://example.com/" }] } },
};

export const mailchimp: WebhookSender = {
  events: ["send", "deferral", "hard_bounce", "soft_bounce", "reject", "open", "click"],
  async build(o) {
    const event = o.event ?? "send";
    const seconds = Math.floor((o.now ?? Date.now()) / 1000);
    const id = o.data?.provider_message_id ?? randomHex(16);
    const details = DETAILS[event] ?? { state: "sent" };
    const sample = {
      event,
      _id: id,
      ts: seconds,
      msg: {
        ts: seconds,
        _id: id,
        state: details.state,
        email: o.data?.to ?? "recipient@example.com",
        sender: String(o.config.from_email || "noreply@example.com"),
        subject: "Hello from the Mailchimp Transactional sandbox",
        tags: [],
        opens: [],
        clicks: [],
        metadata: o.data?.message_id ? { [MESSAGE_ID_METADATA]: o.data.message_id } : {},
        ...details.msg,
      },
    };
    const fields = { mandrill_events: JSON.stringify([sample]) };
    // Mandrill signs whether or not the integration holds the key; the hub then refuses the delivery.
    const key = o.secrets.webhook_key || "unconfigured-webhook-key";
    const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
    if (o.fault !== "missing_signature")
      headers.set(
        "x-mandrill-signature",
        await mandrillSignature(o.fault === "bad_signature" ? wrongSecret(key) : key, o.url, fields),
      );
    if (o.fault === "tampered")
      fields.mandrill_events = fields.mandrill_events.replace(`"${event}"`, `"${event}_tampered"`);
    return new Request(o.url, { method: "POST", headers, body: new URLSearchParams(fields).toString() });
  },
};
