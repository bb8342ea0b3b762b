/**
 * Plivo callbacks (inbound messages and message status), signed with the Auth Token:
 * - V3 (`X-Plivo-Signature-V3`, one or more comma-separated, and `X-Plivo-Signature-V3-Nonce`):
 *   base64 HMAC-SHA256 of the URL without its query, then `?` and the query's parameters
 *   sorted as `key=value` joined with `&`, then for a POST with fields `.` (after a query) and
 *   the fields sorted as `keyvalue` run together, then `.` and the nonce (plivo-node
 *   `v3Security`). It covers the fields, so it is checked whenever present.
 * - V2 (`X-Plivo-Signature-V2` or `X-Plivo-Signature-Ma-V2`, and `X-Plivo-Signature-V2-Nonce`):
 *   base64 HMAC-SHA256 of the URL without its query followed by the nonce. It signs neither the
 *   body nor a time, so it is accepted only when no V3 signature came.
 * Legacy V1 is keyed with the public Auth ID and is not accepted. Plivo sends no timestamp.
 */
import { field } from "../runtime.ts";
import {
  bodyForm,
  type DeliveryStatus,
  formObject,
  hmacBase64,
  missingSecret,
  type ProviderWebhook,
  refused,
  safeEqualAny,
  type Verification,
  type WebhookEffect,
  type WebhookRequest,
} from "../webhooks.ts";

const STATUSES: Record<string, DeliveryStatus> = {
  queued: "sent",
  sent: "sent",
  delivered: "delivered",
  undelivered: "failed",
  failed: "failed",
  rejected: "failed",
};

/** A bare number as E.164 (Plivo leaves out the `+`). */
const e164 = (n: string) => (/^\d+$/.test(n) ? `+${n}` : n);

/** The URL as Plivo was given it: scheme, host and path, without query or fragment. */
const baseUrl = (url: string): string => url.split(/[?#]/, 1)[0] ?? url;

/** The URL's query as received, without the `?`. */
const rawQuery = (url: string): string => url.split("#", 1)[0]?.split("?").slice(1).join("?") ?? "";

/** Parameters sorted by key, then by value within a repeated key. */
function sorted(params: URLSearchParams): [string, string][] {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of params) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  return [...byKey.keys()]
    .sort()
    .flatMap((k) => (byKey.get(k) ?? []).sort().map((v): [string, string] => [k, v]));
}

/** The string V3 signs, before `.` and the nonce. */
function v3SignedUrl(method: string, url: string, fields: URLSearchParams): string {
  const query = sorted(new URLSearchParams(rawQuery(url)))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const post = method === "POST" ? sorted(fields) : [];
  if (post.length === 0) return baseUrl(url) + (query ? `?${query}` : "");
  return `${baseUrl(url)}?${query}${query ? "." : ""}${post.map(([k, v]) => k + v).join("")}`;
}

/** The V3 signature of a request (also what the sandbox sender signs with). */
export const signatureV3 = (
  token: string,
  method: string,
  url: string,
  fields: URLSearchParams,
  nonce: string,
) => hmacBase64("SHA-256", token, `${v3SignedUrl(method, url, fields)}.${nonce}`);

/** The V2 signature of a request. */
export const signatureV2 = (token: string, url: string, nonce: string) =>
  hmacBase64("SHA-256", token, baseUrl(url) + nonce);

/** The callback's fields: the query of a GET, the form of a POST. */
const params = (req: WebhookRequest): URLSearchParams =>
  req.method === "GET" ? new URLSearchParams(rawQuery(req.url)) : bodyForm(req);

async function verifyV3(req: WebhookRequest, token: string, header: string): Promise<Verification> {
  const nonce = req.headers.get("x-plivo-signature-v3-nonce");
  if (!nonce) return refused("missing X-Plivo-Signature-V3-Nonce header");
  if (req.method !== "GET" && req.method !== "POST") return refused(`unexpected method ${req.method}`);
  const expected = await signatureV3(token, req.method, req.url, bodyForm(req), nonce);
  const given = header.split(",").map((s) => s.trim());
  return (await safeEqualAny(expected, given)) ? { ok: true } : refused("signature does not match");
}

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const token = ctx.secrets.auth_token;
    if (!token) return missingSecret("Auth Token");
    const v3 = req.headers.get("x-plivo-signature-v3");
    if (v3) return verifyV3(req, token, v3);
    const v2 = [req.headers.get("x-plivo-signature-v2"), req.headers.get("x-plivo-signature-ma-v2")].filter(
      (s): s is string => !!s,
    );
    if (v2.length === 0) return refused("missing X-Plivo-Signature-V3 (or V2) header");
    const nonce = req.headers.get("x-plivo-signature-v2-nonce");
    if (!nonce) return refused("missing X-Plivo-Signature-V2-Nonce header");
    const expected = await signatureV2(token, req.url, nonce);
    return (await safeEqualAny(expected, v2)) ? { ok: true } : refused("signature does not match");
  },

  describe(req) {
    const p = formObject(params(req));
    const id = p.MessageUUID;
    if (p.Status !== undefined)
      return { type: p.Status, ...(id ? { id: `${id}:${p.Status}` } : {}), payload: p };
    return { type: "inbound", ...(id ? { id } : {}), payload: p };
  },

  effects(payload) {
    const id = field(payload, "MessageUUID");
    const status = field(payload, "Status");
    if (typeof status === "string") {
      const mapped = STATUSES[status];
      if (!mapped) return [];
      const err = field(payload, "ErrorCode");
      const effect: WebhookEffect = {
        kind: "message.status",
        ...(typeof id === "string" ? { providerMessageId: id } : {}),
        status: mapped,
        detail: status,
        ...(mapped === "failed" && typeof err === "string" && err ? { error: `ErrorCode ${err}` } : {}),
      };
      return [effect];
    }
    const from = field(payload, "From");
    if (typeof from !== "string") return [];
    const to = field(payload, "To");
    const text = field(payload, "Text");
    const effect: WebhookEffect = {
      kind: "message.inbound",
      channel: "sms",
      from: e164(from),
      ...(typeof to === "string" ? { to: e164(to) } : {}),
      ...(typeof text === "string" ? { text } : {}),
      ...(typeof id === "string" ? { providerMessageId: id } : {}),
    };
    return [effect];
  },
};
