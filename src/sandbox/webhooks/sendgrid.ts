/**
 * SendGrid Event Webhook: one event (default `delivered`) in a JSON array followed by `\r\n`,
 * signed as SendGrid's Signed Event Webhook signs: base64 DER ECDSA P-256/SHA-256 over the
 * timestamp header followed by the body. The simulator cannot hold a customer's SendGrid key, so
 * it signs with the sandbox key pair below: a sandbox integration whose Event Webhook
 * verification key is SANDBOX_SENDGRID_PUBLIC_KEY verifies what it sends.
 */
import { fromBase64, randomBytes, toBase64, toBase64Url } from "../../crypto/encoding.ts";
import { MESSAGE_ID_METADATA } from "../../providers/sendgrid/email-sender.ts";
import { faultSkewSeconds, randomHex, type WebhookSender } from "./sender.ts";
import { concat } from "./signing.ts";

/** The sandbox's Event Webhook verification key (base64 SPKI, P-256), to configure on an integration. */
export const SANDBOX_SENDGRID_PUBLIC_KEY =
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3EEi8AdmfZlgbkriFFeyxwwD6KIzoB0SH7pmLCgtwhAlx/WHpZtlrWee1+NPD+Aneld5jWbJWaaJaZQ0R7wJyA==";

/** Its private half (base64 PKCS#8); it signs sandbox events only. */
const SANDBOX_PRIVATE_KEY =
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHEvYamH0Aa1MxBwdfjFRoOInHVspEB/h5CTsmUptxv2hRANCAATcQSLwB2Z9mWBuSuIUV7LHDAPoojOgHRIfumYsKC3CECXH9Yelm2WtZ57X408P4Cd6V3mNZslZpolplDRHvAnI";

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;

/** The signing key: the sandbox's, or for `bad_signature` a fresh one nobody has configured. */
async function signingKey(wrong: boolean): Promise<CryptoKey> {
  if (wrong) {
    const pair = (await crypto.subtle.generateKey(ECDSA, false, ["sign", "verify"])) as CryptoKeyPair;
    return pair.privateKey;
  }
  return crypto.subtle.importKey("pkcs8", fromBase64(SANDBOX_PRIVATE_KEY), ECDSA, false, ["sign"]);
}

/** WebCrypto's `r||s` as the DER `SEQUENCE { INTEGER r, INTEGER s }` SendGrid sends. */
function p1363ToDer(signature: Uint8Array): Uint8Array<ArrayBuffer> {
  const integer = (half: Uint8Array): number[] => {
    let start = 0;
    while (start < half.length - 1 && half[start] === 0) start++;
    const bytes = [...half.subarray(start)];
    if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
  };
  const r = integer(signature.subarray(0, 32));
  const s = integer(signature.subarray(32));
  return new Uint8Array([0x30, r.length + s.length, ...r, ...s]);
}

/** What each sample event adds to the common fields. */
const DETAILS: Record<string, Record<string, unknown>> = {
  processed: {},
  delivered: { response: "250 2.0.0 OK", tls: 1 },
  deferred: { response: "421 4.7.0 Try again later", attempt: "1" },
  bounce: {
    reason: "550 5.1.1 The email account that you tried to reach does not exist.",
    status: "5.1.1",
    type: "bounce",
  },
  dropped: { reason: "Bounced Address", status: "5.0.0" },
  open: { useragent: "Mozilla/5.0", ip: "192.0.2.1", sg_machine_open: false },
  click: { url: "https://example.com/", useragent: "Mozilla/5.0", ip: "192.0.2.1" },
};

export const sendgrid: WebhookSender = {
  events: ["delivered", "bounce", "processed", "deferred", "dropped", "open", "click"],
  async build(o) {
    const event = o.event ?? "delivered";
    const seconds = Math.floor((o.now ?? Date.now()) / 1000);
    const messageId = o.data?.provider_message_id ?? toBase64Url(randomBytes(16));
    const sample = {
      email: o.data?.to ?? "recipient@example.com",
      timestamp: seconds,
      "smtp-id": `<${messageId}@ismtpd0001p1iad2.sendgrid.net>`,
      event,
      sg_event_id: o.data?.event_id ?? toBase64Url(randomBytes(24)),
      sg_message_id: `${messageId}.filterdrecv-${randomHex(4)}-1-0`,
      ...(o.data?.message_id ? { [MESSAGE_ID_METADATA]: o.data.message_id } : {}),
      ...DETAILS[event],
    };
    let body = `${JSON.stringify([sample])}\r\n`;
    const timestamp = String(seconds + faultSkewSeconds(o.fault));
    const headers = new Headers({ "content-type": "application/json" });
    headers.set("x-twilio-email-event-webhook-timestamp", timestamp);
    if (o.fault !== "missing_signature") {
      const key = await signingKey(o.fault === "bad_signature");
      const raw = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, concat(timestamp, body));
      headers.set("x-twilio-email-event-webhook-signature", toBase64(p1363ToDer(new Uint8Array(raw))));
    }
    if (o.fault === "tampered")
      body = body.replace(`"event":"${event}"`, `"event":"${event}","tampered":true`);
    return new Request(o.url, { method: "POST", headers, body });
  },
};
