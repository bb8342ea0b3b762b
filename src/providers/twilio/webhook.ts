/**
 * Twilio webhooks (inbound SMS and WhatsApp, message status callbacks), shared by Twilio and
 * WhatsApp via Twilio (providers.md §2): `X-Twilio-Signature` is base64 HMAC-SHA1 keyed with the
 * auth token over the URL Twilio called followed by each form parameter's name and value, names
 * sorted (a repeated name's distinct values sorted). Because Twilio is inconsistent about the
 * port and the query's encoding, the URL is tried with and without its port and with the query
 * re-encoded the legacy way, as twilio-node does. A JSON body instead carries `bodySHA256` in the
 * query: the URL alone is signed and the body must hash to it. No timestamp; `MessageSid` (and
 * the status) names a delivery.
 */
import { sha256Hex } from "../../crypto/hash.ts";
import { field } from "../runtime.ts";
import {
  bodyForm,
  bodyJson,
  type DeliveryStatus,
  formObject,
  hmacBase64,
  missingSecret,
  type ProviderWebhook,
  refused,
  safeEqual,
  safeEqualAny,
  type WebhookEffect,
  type WebhookRequest,
} from "../webhooks.ts";

/** `MessageStatus` of a status callback → delivery status. */
const STATUS: Record<string, DeliveryStatus> = {
  accepted: "sent",
  queued: "sent",
  sending: "sent",
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  undelivered: "failed",
  failed: "failed",
  canceled: "failed",
};

/** base64 HMAC-SHA1 over the URL and the sorted parameters, as Twilio signs. */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): Promise<string> {
  let data = url;
  for (const name of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(name))].sort()) data += name + value;
  }
  return hmacBase64("SHA-1", authToken, data);
}

/** The URL with the scheme's standard port written out (`URL` itself drops it). */
function withStandardPort(u: URL): string {
  const port = u.protocol === "https:" ? ":443" : ":80";
  const credentials = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ""}@` : "";
  return `${u.protocol}//${credentials}${u.host}${port}${u.pathname}${u.search}`;
}

/**
 * The query re-encoded as Node's legacy `querystring` does: values grouped by name in the order
 * an object keeps them, every character but `A-Za-z0-9-_.!~*'()` percent-encoded.
 */
function withLegacyQuery(url: string): string {
  const at = url.indexOf("?");
  if (at === -1 || at === url.length - 1) return url;
  const grouped: Record<string, string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    const values = grouped[name] ?? [];
    values.push(value);
    grouped[name] = values;
  }
  const query = Object.entries(grouped)
    .flatMap(([name, values]) => values.map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`))
    .join("&");
  return `${url.slice(0, at)}?${query}`;
}

/** The URL without and with its port, each as received and with the legacy query encoding. */
function urlVariants(url: string): string[] {
  const parsed = new URL(url);
  const withoutPort = new URL(parsed);
  withoutPort.port = "";
  const ports = [withoutPort.toString(), parsed.port ? parsed.toString() : withStandardPort(parsed)];
  return [...new Set([...ports, ...ports.map(withLegacyQuery)])];
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** `whatsapp:+15551234567` → `+15551234567`. */
const address = (v: string): string => v.replace(/^whatsapp:/, "");

/** The delivery's parameters: the form fields, or the JSON body when it is signed by hash. */
const payloadOf = (req: WebhookRequest): unknown =>
  new URL(req.url).searchParams.has("bodySHA256") ? bodyJson(req) : formObject(bodyForm(req));

/** `MessageStatus` (status callbacks) or `SmsStatus` (`received` on inbound messages). */
const statusWord = (payload: unknown) =>
  text(field(payload, "MessageStatus")) ?? text(field(payload, "SmsStatus"));

const sidOf = (payload: unknown) => text(field(payload, "MessageSid")) ?? text(field(payload, "SmsSid"));

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const token = ctx.secrets.auth_token;
    if (!token) return missingSecret("Twilio auth token");
    const got = req.headers.get("x-twilio-signature");
    if (!got) return refused("missing X-Twilio-Signature header");
    const bodyHash = new URL(req.url).searchParams.get("bodySHA256");
    const params = bodyHash === null ? bodyForm(req) : new URLSearchParams();
    const expected = await Promise.all(urlVariants(req.url).map((u) => twilioSignature(token, u, params)));
    if (!(await safeEqualAny(got, expected))) return refused("signature does not match");
    if (bodyHash !== null && !(await safeEqual(bodyHash.toLowerCase(), await sha256Hex(req.body))))
      return refused("body does not match its bodySHA256");
    return { ok: true };
  },

  describe(req) {
    const payload = payloadOf(req);
    const status = statusWord(payload);
    const sid = sidOf(payload);
    const id = sid && status && status !== "received" ? `${sid}:${status}` : sid;
    return { type: status ?? "message", ...(id ? { id } : {}), payload };
  },

  effects(payload) {
    const word = statusWord(payload);
    const sid = sidOf(payload);
    const status = word ? STATUS[word] : undefined;
    if (status) {
      const code = text(field(payload, "ErrorCode"));
      const message = text(field(payload, "ErrorMessage"));
      const error = code ? (message ? `${message} (error ${code})` : `Twilio error ${code}`) : message;
      const effect: WebhookEffect = {
        kind: "message.status",
        ...(sid ? { providerMessageId: sid } : {}),
        status,
        detail: word as string,
        ...(status === "failed" && error ? { error } : {}),
      };
      return [effect];
    }
    const from = text(field(payload, "From"));
    if (word !== "received" || !from) return [];
    const to = text(field(payload, "To"));
    const body = field(payload, "Body");
    return [
      {
        kind: "message.inbound",
        channel: from.startsWith("whatsapp:") ? "whatsapp" : "sms",
        from: address(from),
        ...(to ? { to: address(to) } : {}),
        ...(typeof body === "string" ? { text: body } : {}),
        ...(sid ? { providerMessageId: sid } : {}),
      },
    ];
  },

  accept() {
    return new Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', {
      status: 200,
      headers: { "content-type": "text/xml" },
    });
  },
};
