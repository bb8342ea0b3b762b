/**
 * Amazon SNS message signatures (HTTP/S subscriptions), as AWS documents them and its validator
 * (aws-js-sns-message-validator) checks them:
 * - `SignatureVersion` "1" is RSASSA-PKCS1-v1_5 with SHA-1, "2" with SHA-256; `Signature` is base64;
 * - the string to sign is `Key\nValue\n` for each of the type's fields in this order, those present:
 *   Notification: Message, MessageId, Subject, Timestamp, TopicArn, Type;
 *   SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
 *   Timestamp, Token, TopicArn, Type;
 * - the key is the certificate at `SigningCertURL`, fetched only from
 *   `https://sns.<region>.amazonaws.com/….pem` and cached per URL in the isolate.
 * In sandbox mode, and only there, URLs under the simulator's own `/aws_sns/` are trusted too.
 */
import { fromBase64, fromUtf8, utf8 } from "../../crypto/encoding.ts";
import { refused, type Verification } from "../webhooks.ts";
import { pemCertificate, spkiOfCertificate } from "./x509.ts";

export type SnsType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

/** An SNS message envelope as POSTed to a subscribed endpoint. */
export type SnsMessage = Record<string, string> & { Type: SnsType };

const SIGNED_FIELDS: Record<SnsType, readonly string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: [
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
  ],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

const HASHES: Record<string, "SHA-1" | "SHA-256"> = { "1": "SHA-1", "2": "SHA-256" };

/** SNS's endpoint hosts: `sns.<region>.amazonaws.com` (and `.com.cn` in China). */
const SNS_HOST_RE = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** A signed message may be at most this old (SNS retries for up to an hour) or this far ahead. */
export const MAX_AGE_MS = 60 * 60 * 1000;
const MAX_AHEAD_MS = 5 * 60 * 1000;

/** The string SNS signs for a message of this type (only the fields present). */
export function stringToSign(m: Record<string, unknown>): string {
  const fields = SIGNED_FIELDS[m.Type as SnsType] ?? [];
  let out = "";
  for (const key of fields) {
    const value = m[key];
    if (typeof value === "string") out += `${key}\n${value}\n`;
  }
  return out;
}

/**
 * The URL when it is one of SNS's own (`https://sns.<region>.amazonaws.com/…`, ending in `.pem`
 * for a certificate), or, given the sandbox's base, one under its simulated SNS; else null.
 */
export function trustedSnsUrl(value: unknown, sandboxBase: string | undefined, pem: boolean): URL | null {
  if (typeof value !== "string") return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || url.hash) return null;
  if (pem && !url.pathname.endsWith(".pem")) return null;
  if (url.protocol === "https:" && url.port === "" && SNS_HOST_RE.test(url.hostname)) return url;
  if (!sandboxBase) return null;
  const base = new URL(sandboxBase);
  const prefix = `${base.pathname.replace(/\/+$/, "")}/aws_sns/`;
  return url.origin === base.origin && url.pathname.startsWith(prefix) ? url : null;
}

/** A signing certificate's public key, imported once per hash (SignatureVersion) it verifies. */
interface SigningKey {
  spki: Uint8Array<ArrayBuffer>;
  imported: Map<string, Promise<CryptoKey>>;
}

/** Signing keys by certificate URL, for the isolate's life. */
const certificates = new Map<string, Promise<SigningKey>>();
const MAX_CERTIFICATES = 50;

function signingKeyAt(url: URL, fetcher: (r: Request) => Promise<Response>): Promise<SigningKey> {
  const key = url.href;
  const cached = certificates.get(key);
  if (cached) return cached;
  const loading = (async () => {
    const res = await fetcher(new Request(url, { headers: { accept: "application/x-pem-file, */*" } }));
    if (res.status !== 200) throw new Error(`the signing certificate answered HTTP ${res.status}`);
    // Read as bytes: SNS serves it as application/x-x509-ca-cert, which is PEM text.
    return {
      spki: spkiOfCertificate(pemCertificate(fromUtf8(await res.arrayBuffer()))),
      imported: new Map(),
    };
  })();
  if (certificates.size >= MAX_CERTIFICATES) certificates.delete(certificates.keys().next().value as string);
  certificates.set(key, loading);
  // A failed download is tried again next time.
  loading.catch(() => certificates.delete(key));
  return loading;
}

/** The certificate's key imported for `hash`, imported the first time it is needed. */
function importedKey(k: SigningKey, hash: "SHA-1" | "SHA-256"): Promise<CryptoKey> {
  let imported = k.imported.get(hash);
  if (!imported) {
    imported = crypto.subtle.importKey("spki", k.spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, [
      "verify",
    ]);
    k.imported.set(hash, imported);
  }
  return imported;
}

export interface SnsVerifyOptions {
  /** The guarded outbound fetch the certificate is downloaded through. */
  fetch?: (request: Request) => Promise<Response>;
  /** The simulator's base, in sandbox mode only. */
  sandboxBase?: string;
  now: number;
}

/** Checks an SNS message's signature, certificate URL, version and timestamp. */
export async function verifySnsSignature(
  m: Record<string, unknown>,
  opts: SnsVerifyOptions,
): Promise<Verification> {
  if (!(typeof m.Type === "string" && m.Type in SIGNED_FIELDS))
    return refused("not an SNS message (Type)", 400);
  const hash = HASHES[String(m.SignatureVersion)];
  if (!hash) return refused("unsupported SignatureVersion", 400);
  if (typeof m.Signature !== "string" || !m.Signature) return refused("missing Signature", 400);
  const certUrl = trustedSnsUrl(m.SigningCertURL, opts.sandboxBase, true);
  if (!certUrl) return refused("SigningCertURL is not an Amazon SNS certificate URL", 400);
  const at = typeof m.Timestamp === "string" ? Date.parse(m.Timestamp) : Number.NaN;
  if (!Number.isFinite(at)) return refused("missing or malformed Timestamp", 400);
  if (at < opts.now - MAX_AGE_MS) return refused("Timestamp is more than an hour old", 400);
  if (at > opts.now + MAX_AHEAD_MS) return refused("Timestamp is in the future", 400);
  if (!opts.fetch) return refused("the signing certificate cannot be fetched here");
  let signingKey: SigningKey;
  try {
    signingKey = await signingKeyAt(certUrl, opts.fetch);
  } catch {
    return refused("the signing certificate could not be fetched or read");
  }
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64(m.Signature);
  } catch {
    return refused("Signature is not base64", 400);
  }
  try {
    const key = await importedKey(signingKey, hash);
    const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, utf8(stringToSign(m)));
    return ok ? { ok: true } : refused("signature does not match");
  } catch {
    return refused("the signing certificate holds no RSA key");
  }
}
