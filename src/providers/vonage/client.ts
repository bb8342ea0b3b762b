/**
 * Vonage (Nexmo) calls on rest.nexmo.com with HTTP Basic `api_key:api_secret`, as the official
 * Node SDK v3 does: test connection reads the balance (`GET /account/get-balance`), send posts a
 * JSON body to the SMS API (`POST /sms/json`, with `callback`: the integration's webhook URL for
 * the delivery receipt), which answers HTTP 200 even when it refuses the
 * message: the verdict is each part's `status` ("0" is success).
 */
import {
  basicAuth,
  errorFrom,
  field,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  request,
  type SendResult,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";

function authorization(ctx: ProviderContext): string {
  return basicAuth(setting(ctx, "api_key"), secret(ctx, "api_secret"));
}

/** Vonage numbers are E.164 without the leading `+` (447700900000). */
const vonageNumber = (n: string) => n.replace(/^\+/, "");

/**
 * GSM 03.38 basic and extension characters: text outside them must be sent as `type: unicode`
 * or the handset shows question marks.
 */
const GSM_CHARS = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€",
);
const needsUnicode = (text: string) => [...text].some((ch) => !GSM_CHARS.has(ch));

/**
 * How a non-zero SMS API `status` is handled (the SDK's SMSStatus enum): throttling is retried,
 * credential and account refusals mark the integration, an internal error is retried, anything
 * else (missing or invalid parameters, barred number, no credit, ...) fails the message.
 */
function kindForSmsStatus(status: string): ProviderErrorKind {
  switch (status) {
    case "1": // Throttled
      return "rate_limited";
    case "4": // Invalid credentials
    case "8": // Partner account barred
    case "14": // Invalid signature
    case "32": // Signature and API secret disallowed
      return "auth";
    case "5": // Internal error
      return "transient";
    default:
      return "permanent";
  }
}

/**
 * The error for a refused part. When other parts of the same text went out, a retry would send
 * them twice, so the failure is final.
 */
function partFailure(part: unknown, partlySent: boolean): ProviderError {
  const status = String(field(part, "status"));
  const reason = String(field(part, "error-text") ?? "message refused");
  const kind = partlySent ? "permanent" : kindForSmsStatus(status);
  const suffix = partlySent ? ", other parts were sent" : "";
  // Vonage gives no retry hint when throttling; its default limit is 30 messages per second.
  return new ProviderError(kind, `Vonage: ${reason} (status ${status}${suffix})`, {
    status: 200,
    code: status,
    retryAfterSeconds: kind === "rate_limited" ? 1 : undefined,
  });
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const apiKey = setting(ctx, "api_key");
  const res = await request(ctx, {
    path: "/account/get-balance",
    headers: { authorization: authorization(ctx) },
  });
  if (res.status !== 200) {
    // UNCONFIRMED (providers.md §3): bad credentials give 401; the Account API's error body is
    // {"error-code", "error-code-label"} (Vonage CLI samples).
    const label = field(res.data, "error-code-label");
    throw errorFrom(res, `Vonage: ${typeof label === "string" ? label : "unexpected answer"}`);
  }
  const value = field(res.data, "value");
  const balance = typeof value === "number" ? ` (balance ${value.toFixed(2)} EUR)` : "";
  return {
    message: `Connected to Vonage account ${apiKey}${balance}`,
    details: { api_key: apiKey, balance: value, auto_reload: field(res.data, "autoReload") },
  };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const text = msg.text ?? "";
  const res = await request(ctx, {
    method: "POST",
    path: "/sms/json",
    headers: { authorization: authorization(ctx) },
    json: {
      from: vonageNumber(setting(ctx, "from_phone_number")),
      to: vonageNumber(msg.to),
      text,
      ...(needsUnicode(text) ? { type: "unicode" } : {}),
      // Comes back on delivery receipts, tying them to our message.
      "client-ref": msg.id,
      // Where this message's delivery receipt goes (instead of the dashboard's URL).
      ...(ctx.webhookUrl ? { callback: ctx.webhookUrl } : {}),
    },
  });
  if (res.status !== 200) throw errorFrom(res, "Vonage: unexpected answer from the SMS API");
  const parts = field(res.data, "messages");
  if (!Array.isArray(parts) || parts.length === 0) {
    throw new ProviderError("permanent", "Vonage: the answer lists no messages");
  }
  const failed = parts.find((p) => String(field(p, "status")) !== "0");
  if (failed)
    throw partFailure(
      failed,
      parts.some((p) => String(field(p, "status")) === "0"),
    );
  return { providerMessageId: String(field(parts[0], "message-id")) };
}
