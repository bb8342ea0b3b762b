/**
 * Mailchimp Transactional (Mandrill) calls: POST /api/1.3/users/ping (test) and
 * POST /api/1.3/messages/send (send), JSON with the API key as `key` in the body; 1.3 is the
 * version @mailchimp/mailchimp_transactional calls (the older 1.0 path still answers). Errors are
 * `{"status":"error","code","name","message"}`, usually with HTTP 500, so they are classified by
 * `name`; a send answers 200 with one result per recipient (sent, queued, rejected, invalid).
 */

import {
  errorFrom,
  field,
  kindForStatus,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  type ProviderResponse,
  request,
  type SendResult,
  secret,
  type TestResult,
} from "../runtime.ts";
import { emailSender, MESSAGE_ID_METADATA } from "../sendgrid/email-sender.ts";

const NAME = "Mailchimp Transactional";

/** Mandrill's error names and what they mean for us; others go by HTTP status. */
const KIND_BY_NAME: Record<string, ProviderErrorKind> = {
  Invalid_Key: "auth",
  ValidationError: "permanent",
  PaymentRequired: "permanent",
  Unknown_Subaccount: "permanent",
  Unknown_Template: "permanent",
  GeneralError: "transient",
  ServiceUnavailable: "transient",
};

function failure(res: ProviderResponse): ProviderError {
  const name = field(res.data, "name");
  const message = field(res.data, "message");
  const reason = typeof message === "string" && message ? message : res.text.trim().slice(0, 200);
  const kind =
    res.status === 429
      ? "rate_limited"
      : ((typeof name === "string" ? KIND_BY_NAME[name] : undefined) ?? kindForStatus(res.status));
  const err = errorFrom(res, `${NAME}: ${reason || "unexpected answer"}`, kind);
  return typeof name === "string"
    ? new ProviderError(err.kind, err.message, { ...err.opts, code: name })
    : err;
}

const call = (ctx: ProviderContext, method: string, body: Record<string, unknown> = {}) =>
  request(ctx, {
    method: "POST",
    path: `/api/1.3/${method}`,
    json: { key: secret(ctx, "api_key"), ...body },
  });

/** users/ping answers the JSON string "PONG!" when the key is valid. */
export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await call(ctx, "users/ping");
  if (res.status !== 200 || res.data !== "PONG!") throw failure(res);
  return { message: `Connected: ${NAME} accepted the API key (users/ping answered PONG!)` };
}

function messageBody(ctx: ProviderContext, msg: OutboundMessage): Record<string, unknown> {
  const sender = emailSender(ctx);
  return {
    from_email: sender.email,
    ...(sender.name ? { from_name: sender.name } : {}),
    ...(msg.subject ? { subject: msg.subject } : {}),
    ...(msg.text ? { text: msg.text } : {}),
    ...(msg.html ? { html: msg.html } : {}),
    to: [{ email: msg.to, type: "to" }],
    ...(sender.replyTo ? { headers: { "Reply-To": sender.replyTo } } : {}),
    metadata: { [MESSAGE_ID_METADATA]: msg.id },
  };
}

/** The recipient's result: sent, queued or scheduled is accepted; rejected or invalid is permanent. */
function accepted(result: unknown, to: string): SendResult {
  const status = field(result, "status");
  const id = field(result, "_id");
  if ((status === "sent" || status === "queued" || status === "scheduled") && typeof id === "string") {
    return { providerMessageId: id };
  }
  if (status === "rejected") {
    const why = field(result, "reject_reason");
    throw new ProviderError(
      "permanent",
      `${NAME}: ${to} was rejected (${String(why ?? "no reason given")})`,
      {
        code: "rejected",
      },
    );
  }
  if (status === "invalid") {
    throw new ProviderError("permanent", `${NAME}: ${to} is not a valid recipient address`, {
      code: "invalid",
    });
  }
  // Not retried: the message may have been accepted, and a retry would send it twice.
  throw new ProviderError("permanent", `${NAME}: unexpected answer to messages/send`);
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const res = await call(ctx, "messages/send", { message: messageBody(ctx, msg) });
  if (res.status !== 200 || !Array.isArray(res.data)) throw failure(res);
  const results = res.data as unknown[];
  const mine =
    results.find((r) => String(field(r, "email")).toLowerCase() === msg.to.toLowerCase()) ?? results[0];
  return accepted(mine, msg.to);
}
