/**
 * Standard Webhooks (spec v1.0.0, symmetric `v1`), once for the hub: the `whsec_` secret, the
 * `webhook-signature` entry `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, and its
 * constant-time verification. Signs the events the hub delivers and verifies custom
 * integrations' webhooks. (The simulator's sender signs with its own implementation, written
 * from the spec, so that a mistake here cannot pass both ways.)
 */
import { fromBase64, randomBytes, toBase64, utf8 } from "./encoding.ts";
import { timingSafeEqualStrings } from "./hash.ts";

const PREFIX = "whsec_";

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export const generateStandardWebhookSecret = (): string => `${PREFIX}${toBase64(randomBytes(32))}`;

/** The HMAC key of one secret: the base64-decoded part after `whsec_` (not the string itself). */
export function standardWebhookKey(secret: string): Uint8Array<ArrayBuffer> {
  return fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
}

/**
 * The keys of a secret setting that may hold several secrets (separated by spaces or commas,
 * so a sender can rotate without downtime); undecodable or empty ones are skipped.
 */
export function standardWebhookKeys(setting: string): Uint8Array<ArrayBuffer>[] {
  return setting
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((s) => {
      try {
        const key = standardWebhookKey(s);
        return key.length > 0 ? [key] : [];
      } catch {
        return [];
      }
    });
}

/** The `v1,` signature of one message under one key; `body` is the raw body as sent. */
export async function standardWebhookSignature(
  key: Uint8Array<ArrayBuffer>,
  id: string,
  timestamp: string | number,
  body: string | Uint8Array,
): Promise<string> {
  const prefix = utf8(`${id}.${timestamp}.`);
  const raw = typeof body === "string" ? utf8(body) : body;
  const signed = new Uint8Array(prefix.length + raw.length);
  signed.set(prefix);
  signed.set(raw, prefix.length);
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `v1,${toBase64(await crypto.subtle.sign("HMAC", k, signed))}`;
}

/**
 * True when any `v1,` entry of a `webhook-signature` header (space-separated; other versions
 * are ignored) matches the signature under any of `keys`. Every pair is compared in constant
 * time. The replay window is the caller's to check.
 */
export async function verifyStandardWebhook(
  keys: Uint8Array<ArrayBuffer>[],
  message: { id: string; timestamp: string; body: string | Uint8Array; header: string },
): Promise<boolean> {
  const expected = await Promise.all(
    keys.map((k) => standardWebhookSignature(k, message.id, message.timestamp, message.body)),
  );
  const given = message.header.split(" ").filter((s) => s.startsWith("v1,"));
  const matches = await Promise.all(given.flatMap((g) => expected.map((e) => timingSafeEqualStrings(g, e))));
  return matches.some(Boolean);
}
