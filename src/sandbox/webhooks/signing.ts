/**
 * How each provider signs its webhooks, written from the providers' documentation (see
 * /work/shared/providers.md) with WebCrypto alone (and a plain MD5 for Vonage's MD5 methods).
 * The simulator signs with these and never with the hub's verifiers, so a verifier that computes
 * the wrong thing cannot agree with it by construction; test/official/ checks these against the
 * providers' own libraries.
 */

import { hmacMd5, md5 } from "./md5.ts";

type Hash = "SHA-1" | "SHA-256" | "SHA-512";
type Data = string | Uint8Array<ArrayBuffer>;

const bytesOf = (d: Data): Uint8Array<ArrayBuffer> =>
  typeof d === "string" ? (new TextEncoder().encode(d) as Uint8Array<ArrayBuffer>) : d;

/** HMAC of `data` keyed with `key` (text keys as UTF-8). */
export async function hmac(hash: Hash, key: Data, data: Data): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", bytesOf(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, bytesOf(data)));
}

/** Lowercase hex. */
export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Standard base64 with padding. */
export const base64 = (b: Uint8Array): string => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(""));

/** The bytes of standard base64. */
export const fromBase64 = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** `a` followed by `b`, as bytes. */
export function concat(a: Data, b: Data): Uint8Array<ArrayBuffer> {
  const x = bytesOf(a);
  const y = bytesOf(b);
  const out = new Uint8Array(x.length + y.length);
  out.set(x);
  out.set(y, x.length);
  return out;
}

/** Each key followed by its value, keys (and a repeated key's values) sorted, no separators. */
function sortedPairs(params: Iterable<[string, string]>): string {
  return [...params]
    .sort(([a, va], [b, vb]) => (a === b ? (va < vb ? -1 : va > vb ? 1 : 0) : a < b ? -1 : 1))
    .map(([k, v]) => k + v)
    .join("");
}

/** Meta's `X-Hub-Signature-256`: `sha256=` and hex HMAC-SHA256 of the raw body with the app secret. */
export const metaSignature = async (appSecret: string, body: string) =>
  `sha256=${hex(await hmac("SHA-256", appSecret, body))}`;

/** Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL and the sorted form fields. */
export const twilioSignature = async (authToken: string, url: string, form: URLSearchParams) =>
  base64(await hmac("SHA-1", authToken, url + sortedPairs(form)));

/** Mandrill's `X-Mandrill-Signature`: base64 HMAC-SHA1 of the URL and the sorted POST fields. */
export const mandrillSignature = async (key: string, url: string, fields: Record<string, string>) =>
  base64(await hmac("SHA-1", key, url + sortedPairs(Object.entries(fields))));

/** HubSpot v3: base64 HMAC-SHA256 of method, URL, body and the millisecond timestamp. */
export const hubspotV3 = async (
  secret: string,
  method: string,
  url: string,
  body: string,
  timestamp: string,
) => base64(await hmac("SHA-256", secret, `${method}${url}${body}${timestamp}`));

/** HubSpot v1: hex SHA-256 of the client secret followed by the body. */
export const hubspotV1 = async (secret: string, body: string) =>
  hex(new Uint8Array(await crypto.subtle.digest("SHA-256", concat(secret, body))));

/** Mailgun: hex HMAC-SHA256 of `timestamp + token` with the webhook signing key. */
export const mailgunSignature = async (key: string, timestamp: string, token: string) =>
  hex(await hmac("SHA-256", key, timestamp + token));

/** QuickBooks `intuit-signature` and Xero `x-xero-signature`: base64 HMAC-SHA256 of the raw body. */
export const bodySignature = async (key: string, body: string) => base64(await hmac("SHA-256", key, body));

/**
 * Vonage SMS `sig`: every parameter but `sig`, sorted by key, as `&key=value` with `&` and `=`
 * in values replaced by `_`; then by the account's signature method: `md5hash` is MD5 of that
 * string followed by the secret, the others an HMAC of it keyed with the secret (`md5`, `sha1`,
 * `sha256`, `sha512`); uppercase hex.
 */
export async function vonageSignature(method: string, secret: string, params: Record<string, string>) {
  const signed = Object.keys(params)
    .filter((k) => k !== "sig")
    .sort()
    .map((k) => `&${k}=${(params[k] ?? "").replace(/[&=]/g, "_")}`)
    .join("");
  const hash = VONAGE_HASHES[method];
  let digest: Uint8Array;
  if (hash) digest = await hmac(hash, secret, signed);
  else if (method === "md5") digest = hmacMd5(bytesOf(secret), bytesOf(signed));
  else if (method === "md5hash") digest = md5(bytesOf(signed + secret));
  else throw new Error(`unknown Vonage signature method ${method}`);
  return hex(digest).toUpperCase();
}

/** The HMACs of WebCrypto a Vonage `signature_method` setting names (MD5 ones are in md5.ts). */
const VONAGE_HASHES: Record<string, Hash> = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };

/** Every Vonage signature method, as the `signature_method` setting names it. */
export const VONAGE_METHODS = ["md5hash", "md5", "sha1", "sha256", "sha512"] as const;

/** Plivo V2: base64 HMAC-SHA256 of the URL without its query, followed by the nonce. */
export async function plivoV2(authToken: string, url: string, nonce: string) {
  const u = new URL(url);
  return base64(await hmac("SHA-256", authToken, `${u.protocol}//${u.host}${u.pathname}${nonce}`));
}

/**
 * Plivo V3 for a POST: the URL without its query, `?` and the sorted `key=value` query, `.`
 * between query and fields when both exist, the sorted fields as `keyvalue`, then `.` and the
 * nonce; base64 HMAC-SHA256.
 */
export async function plivoV3(authToken: string, url: string, fields: URLSearchParams, nonce: string) {
  const u = new URL(url);
  const query = [...u.searchParams]
    .sort(([a, va], [b, vb]) => (a === b ? (va < vb ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const params = sortedPairs(fields);
  let signed = `${u.protocol}//${u.host}${u.pathname}`;
  if (query || params) signed += `?${query}`;
  if (query && params) signed += ".";
  signed += `${params}.${nonce}`;
  return base64(await hmac("SHA-256", authToken, signed));
}

/** The keys of a Standard Webhooks secret setting (`whsec_<base64>`, several separated by spaces). */
export function standardWebhookKeys(setting: string): Uint8Array<ArrayBuffer>[] {
  return setting
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((s) => {
      try {
        const key = fromBase64(s.replace(/^whsec_/, ""));
        return key.length ? [key] : [];
      } catch {
        return [];
      }
    });
}

/** Standard Webhooks `webhook-signature`: `v1,` and base64 HMAC-SHA256 of `id.timestamp.body`. */
export const standardWebhookSignature = async (
  key: Uint8Array<ArrayBuffer>,
  id: string,
  ts: string,
  body: string,
) => `v1,${base64(await hmac("SHA-256", key, `${id}.${ts}.${body}`))}`;
