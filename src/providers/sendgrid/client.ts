/**
 * SendGrid v3 calls: GET /v3/scopes (test) and POST /v3/mail/send (send), both with
 * `Authorization: Bearer <API key>`. Errors come as `{"errors":[{"message","field","help"}]}`.
 */
import {
  errorFrom,
  field,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  retryAfterSeconds,
  type SendResult,
  secret,
  type TestResult,
} from "../runtime.ts";
import { emailSender, MESSAGE_ID_METADATA } from "./email-sender.ts";

export const headers = (ctx: ProviderContext) => ({ authorization: `Bearer ${secret(ctx, "api_key")}` });

/** "message (field)" for each entry of SendGrid's `errors` array. */
function reasons(data: unknown): string {
  const errors = field(data, "errors");
  if (!Array.isArray(errors)) return "";
  return errors
    .map((e) => {
      const message = field(e, "message");
      const at = field(e, "field");
      if (typeof message !== "string") return "";
      return typeof at === "string" && at ? `${message} (${at})` : message;
    })
    .filter(Boolean)
    .join("; ");
}

/**
 * Seconds to wait after a 429: Retry-After when present, else SendGrid's own
 * `X-RateLimit-Reset` (a Unix time in seconds).
 */
function rateLimitWait(res: ProviderResponse, now = Date.now()): number | undefined {
  const retryAfter = retryAfterSeconds(res.headers.get("retry-after"), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - now / 1000)) : undefined;
}

/** 401 (bad key) and 403 (key without the permission) are auth; the rest by status. */
export function failure(res: ProviderResponse): ProviderError {
  const err = errorFrom(
    res,
    `SendGrid: ${reasons(res.data) || res.text.trim().slice(0, 200) || "unexpected answer"}`,
  );
  if (res.status !== 429) return err;
  return new ProviderError(err.kind, err.message, { ...err.opts, retryAfterSeconds: rateLimitWait(res) });
}

/** The key's scopes: it must be accepted and hold `mail.send`. */
export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await request(ctx, { path: "/v3/scopes", headers: headers(ctx) });
  if (res.status !== 200) throw failure(res);
  const scopes = field(res.data, "scopes");
  const list = Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [];
  if (!list.includes("mail.send")) {
    throw new ProviderError("auth", "SendGrid: the API key lacks the Mail Send permission (mail.send)");
  }
  return {
    message: `Connected: the API key has the Mail Send permission (${list.length} scopes)`,
    details: { scopes: list.length },
  };
}

/** The v3 mail body: one personalization, text/plain before text/html as SendGrid requires. */
function mailBody(ctx: ProviderContext, msg: OutboundMessage): Record<string, unknown> {
  const sender = emailSender(ctx);
  const content = [
    ...(msg.text ? [{ type: "text/plain", value: msg.text }] : []),
    ...(msg.html ? [{ type: "text/html", value: msg.html }] : []),
  ];
  return {
    personalizations: [{ to: [{ email: msg.to }] }],
    from: sender.name ? { email: sender.email, name: sender.name } : { email: sender.email },
    ...(sender.replyTo ? { reply_to: { email: sender.replyTo } } : {}),
    ...(msg.subject ? { subject: msg.subject } : {}),
    content,
    custom_args: { [MESSAGE_ID_METADATA]: msg.id },
  };
}

/** 202 Accepted with an empty body; the message id is the `X-Message-Id` header. */
export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const res = await request(ctx, {
    method: "POST",
    path: "/v3/mail/send",
    headers: headers(ctx),
    json: mailBody(ctx, msg),
  });
  if (res.status !== 202 && res.status !== 200) throw failure(res);
  const id = res.headers.get("x-message-id");
  // Accepted without an id (never seen): our own id still names it in webhooks (custom_args).
  return { providerMessageId: id || msg.id };
}
