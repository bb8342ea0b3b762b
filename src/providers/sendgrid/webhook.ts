/**
 * SendGrid Signed Event Webhook (providers.md §8): `X-Twilio-Email-Event-Webhook-Signature` is a
 * base64 DER ECDSA P-256/SHA-256 signature over the `X-Twilio-Email-Event-Webhook-Timestamp`
 * value followed by the raw body, checked with the public key SendGrid shows for the webhook
 * (base64 SPKI, the integration's `webhook_public_key`). WebCrypto wants the signature as
 * `r||s`, so the DER is converted first. The timestamp must be within 5 minutes. The body is a
 * JSON array of events: our message id rides along as a custom arg, and `sg_message_id` starts
 * with the X-Message-Id the send returned, followed by `.` and a suffix of SendGrid's own.
 */
import { fromBase64 } from "../../crypto/encoding.ts";
import { field } from "../runtime.ts";
import {
  bodyJson,
  concatBytes,
  type DeliveryStatus,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  statusEffect,
  type WebhookEffect,
} from "../webhooks.ts";
import { MESSAGE_ID_METADATA } from "./email-sender.ts";

const SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
const TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";

/** Event → delivery status; opens and clicks imply delivery, deferrals are still on their way. */
const STATUS: Record<string, DeliveryStatus> = {
  processed: "sent",
  deferred: "sent",
  delivered: "delivered",
  open: "delivered",
  click: "delivered",
  bounce: "failed",
  dropped: "failed",
  spamreport: "delivered",
};

/** Events after which SendGrid (and the hub) never send to the recipient again. */
const SUPPRESS: Record<string, "hard_bounce" | "complaint"> = {
  bounce: "hard_bounce",
  spamreport: "complaint",
};

/**
 * A DER `SEQUENCE { INTEGER r, INTEGER s }` as the 64-byte `r||s` WebCrypto verifies: each
 * integer without its sign byte, left-padded to 32 bytes. Null when it is not one.
 */
export function derToP1363(der: Uint8Array): Uint8Array<ArrayBuffer> | null {
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const out = new Uint8Array(64);
  let at = 2;
  for (const offset of [0, 32]) {
    const len = der[at + 1];
    if (der[at] !== 0x02 || len === undefined || len === 0 || at + 2 + len > der.length) return null;
    let int = der.subarray(at + 2, at + 2 + len);
    while (int.length > 32 && int[0] === 0) int = int.subarray(1);
    if (int.length > 32) return null;
    out.set(int, offset + 32 - int.length);
    at += 2 + len;
  }
  return at === der.length ? out : null;
}

/** The configured key as base64 SPKI (a pasted PEM's armour and line breaks removed). */
function publicKeyOf(config: Record<string, unknown>): string | undefined {
  const v = config.webhook_public_key;
  if (typeof v !== "string") return undefined;
  const b64 = v.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return b64 || undefined;
}

async function importKey(spki: string): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.importKey(
      "spki",
      fromBase64(spki),
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
  } catch {
    return null;
  }
}

function signatureOf(header: string): Uint8Array<ArrayBuffer> | null {
  try {
    return derToP1363(fromBase64(header.trim()));
  } catch {
    return null;
  }
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const spki = publicKeyOf(ctx.config);
    if (!spki) return missingSecret("SendGrid Event Webhook verification key");
    const got = req.headers.get(SIGNATURE_HEADER);
    if (!got) return refused("missing X-Twilio-Email-Event-Webhook-Signature header");
    const timestamp = req.headers.get(TIMESTAMP_HEADER);
    if (!timestamp) return refused("missing X-Twilio-Email-Event-Webhook-Timestamp header");
    const stale = replayWindowError(timestamp, ctx.now);
    if (stale) return refused(stale);
    const key = await importKey(spki);
    // Unusable like a missing one: the integration shows it until the key is fixed.
    if (!key)
      return {
        ok: false,
        reason: "the Event Webhook verification key is not a base64 P-256 public key",
        missingSecret: true,
      };
    const signature = signatureOf(got);
    if (!signature) return refused("signature is not a base64 DER ECDSA signature");
    const ok = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      signature,
      concatBytes(timestamp, req.body),
    );
    return ok ? { ok: true } : refused("signature does not match");
  },

  describe(req) {
    const payload = bodyJson(req);
    const events = Array.isArray(payload) ? payload : [];
    const names = [...new Set(events.map((e) => field(e, "event")))];
    const type = names.length === 1 && typeof names[0] === "string" ? names[0] : "batch";
    const id = events.length === 1 ? text(field(events[0], "sg_event_id")) : undefined;
    return { type, ...(id ? { id } : {}), payload };
  },

  effects(payload) {
    const out: WebhookEffect[] = [];
    for (const event of Array.isArray(payload) ? payload : []) {
      const name = text(field(event, "event")) ?? "";
      const status = STATUS[name];
      if (!status) continue;
      const messageId = text(field(event, MESSAGE_ID_METADATA));
      const providerMessageId = text(field(event, "sg_message_id"))?.split(".")[0];
      const error = text(field(event, "reason")) ?? text(field(event, "response"));
      out.push(
        statusEffect({ messageId, providerMessageId, status, detail: name, error, suppress: SUPPRESS[name] }),
      );
    }
    return out;
  },
};
