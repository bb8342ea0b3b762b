/**
 * Mailgun webhooks (providers.md §9): the JSON body is `{"signature": {timestamp, token,
 * signature}, "event-data": {...}}`, and legacy webhooks post `timestamp`, `token` and
 * `signature` as form fields instead. `signature` is hex HMAC-SHA256 keyed with the HTTP webhook
 * signing key over `timestamp + token`; the body itself is not signed. The timestamp must be
 * within 5 minutes; `event-data.id` names the event. Our message id comes back in
 * `user-variables` (legacy: a form field of its own), Mailgun's Message-Id in
 * `message.headers.message-id`, without the angle brackets, as the send stored it.
 */

import { field } from "../runtime.ts";
import { MESSAGE_ID_METADATA } from "../sendgrid/email-sender.ts";
import {
  bodyForm,
  bodyJson,
  type DeliveryStatus,
  formObject,
  hmacHex,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  safeEqual,
  statusEffect,
  type WebhookRequest,
} from "../webhooks.ts";

/** Event → delivery status (`failed` only when permanent: temporary failures are retried). */
const STATUS: Record<string, DeliveryStatus> = {
  accepted: "sent",
  delivered: "delivered",
  opened: "delivered",
  clicked: "delivered",
  failed: "failed",
  rejected: "failed",
  // Legacy webhooks' names for permanent failures.
  bounced: "failed",
  dropped: "failed",
  complained: "delivered",
};

/** Events after which Mailgun (and the hub) never send to the recipient again. */
const SUPPRESS: Record<string, "hard_bounce" | "complaint"> = {
  failed: "hard_bounce",
  bounced: "hard_bounce",
  complained: "complaint",
};

const text = (v: unknown): string | undefined => {
  if (typeof v === "number") return String(v);
  return typeof v === "string" && v ? v : undefined;
};

/** The current format: the signature is an object of its own. */
function isCurrent(payload: unknown): boolean {
  const signature = field(payload, "signature");
  return !!signature && typeof signature === "object";
}

/** The JSON body when it is the current format, else the legacy form fields. */
function payloadOf(req: WebhookRequest): unknown {
  const json = bodyJson(req);
  return isCurrent(json) ? json : formObject(bodyForm(req));
}

/** The signed fields: under `signature` (JSON) or at the top (legacy form). */
function signedFields(payload: unknown) {
  const at = isCurrent(payload) ? field(payload, "signature") : payload;
  return {
    timestamp: text(field(at, "timestamp")),
    token: text(field(at, "token")),
    signature: text(field(at, "signature")),
  };
}

/** The event: `event-data` (JSON), or the form fields themselves (legacy). */
const eventOf = (payload: unknown): unknown => (isCurrent(payload) ? field(payload, "event-data") : payload);

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const key = ctx.secrets.webhook_signing_key;
    if (!key) return missingSecret("Mailgun HTTP webhook signing key");
    const { timestamp, token, signature } = signedFields(payloadOf(req));
    if (!signature) return refused("missing signature");
    if (!token) return refused("missing signature token");
    const stale = replayWindowError(timestamp, ctx.now);
    if (stale) return refused(stale);
    const expected = await hmacHex("SHA-256", key, `${timestamp}${token}`);
    return (await safeEqual(signature.toLowerCase(), expected))
      ? { ok: true }
      : refused("signature does not match");
  },

  describe(req) {
    const payload = payloadOf(req);
    const event = eventOf(payload);
    const id = isCurrent(payload) ? text(field(event, "id")) : undefined;
    return { type: text(field(event, "event")) ?? "event", ...(id ? { id } : {}), payload };
  },

  effects(payload) {
    const event = eventOf(payload);
    const name = text(field(event, "event")) ?? "";
    const status = STATUS[name];
    if (!status || (name === "failed" && field(event, "severity") !== "permanent")) return [];
    const messageId =
      text(field(event, "user-variables", MESSAGE_ID_METADATA)) ?? text(field(event, MESSAGE_ID_METADATA));
    const providerMessageId = (
      text(field(event, "message", "headers", "message-id")) ?? text(field(event, "Message-Id"))
    )?.replace(/^<|>$/g, "");
    const error =
      text(field(event, "delivery-status", "description")) ??
      text(field(event, "delivery-status", "message")) ??
      text(field(event, "reason")) ??
      text(field(event, "error"));
    return [
      statusEffect({ messageId, providerMessageId, status, detail: name, error, suppress: SUPPRESS[name] }),
    ];
  },
};
