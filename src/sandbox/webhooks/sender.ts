/**
 * The simulator's webhook senders: each builds the request its provider would send to a
 * Switchboard webhook URL, with a realistic payload, signed exactly as the provider signs,
 * or broken on purpose (`fault`) so a user can watch both kinds arrive.
 */

/** A deliberate defect in a fired webhook. */
export type WebhookFault =
  /** Signed with a different secret. */
  | "bad_signature"
  /** The signature header (or field) left out. */
  | "missing_signature"
  /** The body changed after signing. */
  | "tampered"
  /** Signed 10 minutes ago (schemes with a timestamp). */
  | "stale"
  /** Signed 10 minutes ahead (schemes with a timestamp). */
  | "future";

export const WEBHOOK_FAULTS = ["bad_signature", "missing_signature", "tampered", "stale", "future"] as const;

export interface FireOptions {
  /** The Switchboard URL to post to (the integration's `webhook_url`). */
  url: string;
  /** The integration's secrets, under its field names (`auth_token`, `webhook_secret`, ...). */
  secrets: Record<string, string>;
  /** The integration's non-secret settings (`page_id`, `signature_method`, ...). */
  config: Record<string, unknown>;
  /** Which sample event to send; each sender documents its kinds and has a default. */
  event?: string;
  fault?: WebhookFault;
  /**
   * Values to put in the sample: `message_id` (ours), `provider_message_id`, `status`,
   * `from`, `to`, `text`, `event_id`, `leadgen_id`, ...
   */
  data?: Record<string, string>;
  /** Signing time in ms (defaults to now). */
  now?: number;
}

export interface WebhookSender {
  /** The sample events this sender can fire; the first is the default. */
  events: readonly string[];
  build(o: FireOptions): Promise<Request>;
}

/** Seconds to shift a timestamp by for the `stale` and `future` faults. */
export function faultSkewSeconds(fault: WebhookFault | undefined): number {
  if (fault === "stale") return -600;
  if (fault === "future") return 600;
  return 0;
}

/** A secret that is certainly not the configured one. */
export const wrongSecret = (secret: string): string => `${secret}-wrong`;

/** A random id in the style of the provider's ids (hex). */
export function randomHex(bytes = 16): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
