/**
 * Standard Webhooks signing of the events the hub delivers (providers.md §20): endpoint secrets
 * (`whsec_` + base64 of 32 random bytes), the `v1,` signature, and the body that is signed.
 */
import {
  generateStandardWebhookSecret,
  standardWebhookKey,
  standardWebhookSignature,
} from "../../crypto/standard-webhooks.ts";
import type { EventRow } from "../../db/schema.ts";

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export const generateSecret = (): string => generateStandardWebhookSecret();

/**
 * The Standard Webhooks v1 signature of one message: `v1,` + base64 HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, keyed with the decoded secret.
 */
export const signStandardWebhook = (secret: string, id: string, timestamp: number, body: string) =>
  standardWebhookSignature(standardWebhookKey(secret), id, timestamp, body);

/** What the vault holds for an endpoint: the secret, and during a grace the previous one. */
export interface SigningSecrets {
  secret: string;
  previous_secret?: string;
  /** ISO time after which the previous secret no longer signs. */
  previous_expires_at?: string;
}

/** The secrets that sign now: the current one, and the previous one until its grace ends. */
export function activeSecrets(s: SigningSecrets, now: number): string[] {
  const out = [s.secret];
  if (s.previous_secret && s.previous_expires_at && Date.parse(s.previous_expires_at) > now)
    out.push(s.previous_secret);
  return out;
}

/** The body delivered for an event: Standard Webhooks' recommended `{type, timestamp, data}`. */
export const eventBody = (e: EventRow): string =>
  JSON.stringify({ type: e.type, timestamp: e.createdAt, data: e.payload });
