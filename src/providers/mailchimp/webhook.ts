/**
 * Mailchimp Transactional (Mandrill) webhooks (providers.md §11): a new webhook URL is checked
 * with a HEAD (a GET is answered alike), then events arrive as a form-encoded POST whose one
 * field, `mandrill_events`, holds a JSON array. `X-Mandrill-Signature` is base64 HMAC-SHA1 keyed
 * with the webhook's key over the URL exactly as registered followed by each form field's name
 * and value, names sorted. No timestamp. Our message id comes back in `msg.metadata`; `_id` is
 * the id the send returned.
 */

import { field } from "../runtime.ts";
import { MESSAGE_ID_METADATA } from "../sendgrid/email-sender.ts";
import {
  bodyForm,
  type DeliveryStatus,
  formObject,
  hmacBase64,
  missingSecret,
  type ProviderWebhook,
  refused,
  safeEqual,
  statusEffect,
  type WebhookEffect,
} from "../webhooks.ts";

/**
 * Event → delivery status: `send` is the receiving server accepting the message (a `deferral`
 * comes before it), opens and clicks imply delivery, and Mandrill stops trying after a bounce.
 */
const STATUS: Record<string, DeliveryStatus> = {
  deferral: "sent",
  send: "delivered",
  open: "delivered",
  click: "delivered",
  hard_bounce: "failed",
  soft_bounce: "failed",
  reject: "failed",
  spam: "delivered",
};

/** Events after which Mandrill (and the hub) never send to the recipient again. */
const SUPPRESS: Record<string, "hard_bounce" | "complaint"> = {
  hard_bounce: "hard_bounce",
  spam: "complaint",
};

/** base64 HMAC-SHA1 over the URL and the form fields sorted by name, as Mandrill signs. */
export function mandrillSignature(key: string, url: string, fields: Record<string, string>): Promise<string> {
  let data = url;
  for (const name of Object.keys(fields).sort()) data += name + fields[name];
  return hmacBase64("SHA-1", key, data);
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The events of `mandrill_events`; empty when the field is not a JSON array. */
function eventsOf(fields: Record<string, string>): unknown[] {
  try {
    const events: unknown = JSON.parse(fields.mandrill_events ?? "");
    return Array.isArray(events) ? events : [];
  } catch {
    return [];
  }
}

/** A message event's own name; sync events (allowlist and denylist changes) name theirs in `type`. */
const nameOf = (event: unknown): string | undefined =>
  text(field(event, "event")) ?? text(field(event, "type"));

export const webhook: ProviderWebhook = {
  handshake(req) {
    return req.method === "HEAD" || req.method === "GET" ? new Response(null, { status: 200 }) : null;
  },

  async verify(req, ctx) {
    const key = ctx.secrets.webhook_key;
    if (!key) return missingSecret("Mandrill webhook key");
    const got = req.headers.get("x-mandrill-signature");
    if (!got) return refused("missing X-Mandrill-Signature header");
    const expected = await mandrillSignature(key, req.url, formObject(bodyForm(req)));
    return (await safeEqual(got, expected)) ? { ok: true } : refused("signature does not match");
  },

  describe(req) {
    const events = eventsOf(formObject(bodyForm(req)));
    const names = [...new Set(events.map(nameOf))];
    const type = names.length === 1 && names[0] ? names[0] : "batch";
    const only = events.length === 1 ? events[0] : undefined;
    const messageId = text(field(only, "_id"));
    const ts = field(only, "ts");
    const id = messageId && names[0] ? `${messageId}:${names[0]}:${String(ts ?? "")}` : undefined;
    return { type, ...(id ? { id } : {}), payload: events };
  },

  effects(payload) {
    const out: WebhookEffect[] = [];
    for (const event of Array.isArray(payload) ? payload : []) {
      const name = text(field(event, "event")) ?? "";
      const status = STATUS[name];
      if (!status) continue;
      const msg = field(event, "msg");
      const messageId = text(field(msg, "metadata", MESSAGE_ID_METADATA));
      const providerMessageId = text(field(msg, "_id")) ?? text(field(event, "_id"));
      const error =
        text(field(msg, "bounce_description")) ??
        text(field(msg, "diag")) ??
        text(field(msg, "reject", "reason"));
      out.push(
        statusEffect({
          messageId,
          providerMessageId,
          status,
          detail: name,
          error: error ?? name,
          suppress: SUPPRESS[name],
        }),
      );
    }
    return out;
  },
};
