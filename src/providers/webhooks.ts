/**
 * What provider modules use to receive webhooks: the raw request as it arrived, the context a
 * verification gets (the integration's settings and decrypted secrets), the declaration each
 * provider fills in (handshake, verify, describe, effects), and the primitives every scheme
 * shares (HMAC, constant-time comparison, the replay window).
 *
 * Rules every scheme follows:
 * - the raw bytes are verified before anything is parsed (Mailgun is the one scheme whose
 *   signature sits inside the body; it signs fields, not the body);
 * - every comparison of a signature or token is constant-time (`safeEqual`);
 * - schemes with a timestamp reject one outside `REPLAY_WINDOW_S` in either direction;
 * - a missing secret fails closed: `{ ok: false, missingSecret: true }`.
 */
import { fromUtf8, toBase64, toHex, utf8 } from "../crypto/encoding.ts";
import { timingSafeEqualStrings } from "../crypto/hash.ts";
import type { Channel } from "./channels.ts";

/** Seconds a signed timestamp may be away from now, either way. */
export const REPLAY_WINDOW_S = 300;

/** A provider webhook as received: nothing parsed before verification. */
export interface WebhookRequest {
  method: string;
  /** The URL the provider called, query included, exactly as received. */
  url: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer>;
}

export interface WebhookContext {
  /** Non-secret settings of the integration (`page_id`, `signature_method`, ...). */
  config: Record<string, unknown>;
  /** Decrypted secret fields of the integration. Never log, store or echo them. */
  secrets: Record<string, string>;
  /**
   * Deployment-wide fallbacks for secrets an integration may leave empty: the settings the
   * provider names in `deploymentSecrets`, under its keys, where the deployment sets them.
   */
  defaults: Readonly<Record<string, string | undefined>>;
  /** The verify token the hub generated or the client chose (Meta's `hub.verify_token`). */
  verifyToken?: string;
  /** Now, in ms since the epoch (tests pin it). */
  now: number;
  /**
   * The guarded outbound fetch (with the provider timeout), for schemes that download their
   * signing key or call back to confirm a subscription (SNS).
   */
  fetch?: (request: Request) => Promise<Response>;
  /** Where the provider simulator answers; set only in sandbox mode, where its URLs are trusted. */
  sandboxBase?: string;
}

export type Verification =
  | { ok: true }
  | {
      ok: false;
      /** Plain words for the log line and the integration ("signature does not match"). */
      reason: string;
      /** The status the provider expects for a refused request; 401 unless said otherwise. */
      status?: number;
      /** No secret to verify with: refused, and the integration shows why. */
      missingSecret?: boolean;
    };

/** What a verified delivery stores: one row per delivery. */
export interface ReceivedEvent {
  /** The provider's own name for what happened (`delivered`, `messages`, `leadgen`, ...). */
  type: string;
  /**
   * The provider's id for this delivery (Telegram `update_id`, Mailgun `event-data.id`,
   * `webhook-id`, ...); when absent, duplicates are recognised by the body's hash.
   */
  id?: string;
  /** The parsed payload (JSON, or form fields as an object). Secret-looking keys are redacted on storage. */
  payload: unknown;
}

/** Message statuses a delivery receipt can move a message to. */
export type DeliveryStatus = "sent" | "delivered" | "failed";

/** What processing a stored event does; computed again from the stored payload on the queue. */
export type WebhookEffect =
  | {
      kind: "message.status";
      /** Our message id where the provider echoes it back (custom args, metadata). */
      messageId?: string;
      /** The provider's message id (`MessageSid`, `wamid`, `sg_message_id`, ...). */
      providerMessageId?: string;
      status: DeliveryStatus;
      /** The provider's own word (`read`, `opened`, `bounce`, `undelivered`, ...). */
      detail: string;
      error?: string;
      /**
       * The provider says never to send to this recipient again: a hard (permanent) bounce, or
       * a complaint (marked as spam). The hub adds it to the channel's suppression list.
       */
      suppress?: "hard_bounce" | "complaint";
    }
  | {
      kind: "message.inbound";
      channel: Channel;
      from: string;
      to?: string;
      text?: string;
      providerMessageId?: string;
    }
  | { kind: "lead"; leadgenId: string; formId?: string; pageId?: string; adId?: string; createdTime?: string }
  | { kind: "record.changed"; entity: string; externalId: string; operation: string }
  /** Something changed at the provider without saying what: an incremental sync of `entity`. */
  | { kind: "sync.requested"; entity: string };

export interface ProviderWebhook {
  /**
   * Answers a provider's URL check (Meta's `hub.challenge` GET, Mailchimp's GET, Mandrill's
   * HEAD). Returns null when the request is not one, and it then goes through `verify`.
   */
  handshake?(req: WebhookRequest, ctx: WebhookContext): Response | null | Promise<Response | null>;
  /** Checks the signature over the raw request. */
  verify(req: WebhookRequest, ctx: WebhookContext): Promise<Verification>;
  /**
   * After verification, before storing: confirms a subscription the provider asks to confirm by
   * a call back (SNS's `SubscribeURL`), through `ctx.fetch`. Throws a ProviderError when it
   * cannot; the delivery is then refused and the provider sends it again.
   */
  confirm?(req: WebhookRequest, ctx: WebhookContext): Promise<void>;
  /** After verification: what to store, or null to store nothing (Xero's intent-to-receive). */
  describe(req: WebhookRequest): ReceivedEvent | null;
  /** What processing the stored payload does; none when omitted. */
  effects?(payload: unknown): WebhookEffect[];
  /**
   * Ids an event names that route it to one of an organization's integrations at a shared URL
   * (Meta: the Page, WhatsApp Business Account or Instagram account ids in `entry[].id`).
   */
  routingIds?(payload: unknown): string[];
  /** The integration setting the routing ids are compared with (`page_id`). */
  routingField?: string;
  /** The answer the provider expects when the delivery is accepted; `200 {"received":true}` when omitted. */
  accept?(): Response;
}

// ---- primitives -------------------------------------------------------------------------

export type HmacHash = "SHA-1" | "SHA-256" | "SHA-512";

/** HMAC of `data` keyed with `key` (a string is taken as UTF-8). */
export async function hmac(
  hash: HmacHash,
  key: string | Uint8Array<ArrayBuffer>,
  data: string | Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey(
    "raw",
    typeof key === "string" ? utf8(key) : key,
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, typeof data === "string" ? utf8(data) : data));
}

export const hmacHex = async (...a: Parameters<typeof hmac>) => toHex(await hmac(...a));
export const hmacBase64 = async (...a: Parameters<typeof hmac>) => toBase64(await hmac(...a));

/** Constant-time equality of two strings (a signature, a token). */
export const safeEqual = (a: string, b: string): Promise<boolean> => timingSafeEqualStrings(a, b);

/** True when any candidate equals `actual` in constant time; every candidate is compared. */
export async function safeEqualAny(actual: string, candidates: string[]): Promise<boolean> {
  const results = await Promise.all(candidates.map((c) => safeEqual(actual, c)));
  return results.some(Boolean);
}

/** Joins two byte strings (a timestamp prefix and the raw body, say). */
export function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const arrays = parts.map((p) => (typeof p === "string" ? utf8(p) : p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * Null when `timestampSeconds` is within the replay window of `nowMs`, else the reason. Accepts
 * a string of digits; anything else is refused.
 */
export function replayWindowError(
  timestampSeconds: string | number | null | undefined,
  nowMs: number,
): string | null {
  const t = typeof timestampSeconds === "number" ? timestampSeconds : Number(timestampSeconds);
  if (
    timestampSeconds === null ||
    timestampSeconds === undefined ||
    timestampSeconds === "" ||
    !Number.isFinite(t)
  )
    return "missing or malformed timestamp";
  const skew = t - nowMs / 1000;
  if (skew > REPLAY_WINDOW_S) return "timestamp is in the future (outside the 5-minute window)";
  if (skew < -REPLAY_WINDOW_S) return "timestamp is too old (outside the 5-minute window)";
  return null;
}

/** The body as text (UTF-8; invalid bytes refuse the parse, not the verification). */
export const bodyText = (req: WebhookRequest): string => fromUtf8(req.body);

/** The body parsed as JSON, or undefined when it is not JSON. Call only after verification. */
export function bodyJson(req: WebhookRequest): unknown {
  try {
    return JSON.parse(bodyText(req));
  } catch {
    return undefined;
  }
}

/** The body parsed as form fields. Call only after verification (or for schemes that sign fields). */
export function bodyForm(req: WebhookRequest): URLSearchParams {
  try {
    return new URLSearchParams(bodyText(req));
  } catch {
    return new URLSearchParams();
  }
}

/** Form fields as a plain object (the last value of a repeated key wins). */
export const formObject = (form: URLSearchParams): Record<string, string> =>
  Object.fromEntries(form.entries());

/**
 * The common scheme: one header holding the base64 HMAC-SHA256 of the raw body, keyed with a
 * secret (QuickBooks' `intuit-signature`, Xero's `x-xero-signature`).
 * @param what The secret as the error names it ("webhook key").
 * @param status The status a refusal must have where the provider requires one (Xero: 401).
 */
export async function verifyBodyHmacBase64(
  req: WebhookRequest,
  secret: string | undefined,
  what: string,
  header: string,
  status?: number,
): Promise<Verification> {
  if (!secret) return missingSecret(what);
  const given = req.headers.get(header);
  if (!given) return refused(`missing ${header} header`, status);
  const expected = await hmacBase64("SHA-256", secret, req.body);
  return (await safeEqual(given, expected)) ? { ok: true } : refused("signature does not match", status);
}

/** A delivery receipt's effect, leaving out the ids the provider did not give. */
export function statusEffect(e: {
  messageId?: string | undefined;
  providerMessageId?: string | undefined;
  status: DeliveryStatus;
  detail: string;
  error?: string | undefined;
  suppress?: "hard_bounce" | "complaint" | undefined;
}): WebhookEffect {
  return {
    kind: "message.status",
    ...(e.messageId ? { messageId: e.messageId } : {}),
    ...(e.providerMessageId ? { providerMessageId: e.providerMessageId } : {}),
    status: e.status,
    detail: e.detail,
    ...(e.status === "failed" && e.error ? { error: e.error } : {}),
    ...(e.suppress ? { suppress: e.suppress } : {}),
  };
}

export const refused = (reason: string, status?: number): Verification => ({
  ok: false,
  reason,
  ...(status === undefined ? {} : { status }),
});

export const missingSecret = (what: string): Verification => ({
  ok: false,
  reason: `no ${what} is configured, so webhooks cannot be verified and are refused`,
  missingSecret: true,
});
