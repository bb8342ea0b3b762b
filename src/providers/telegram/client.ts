/** Telegram Bot API calls: getMe (test) and sendMessage (send). The token goes in the path. */
import {
  errorFrom,
  field,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  type SendResult,
  secret,
  type TestResult,
} from "../runtime.ts";

const TOKEN_RE = /^[0-9]+:[A-Za-z0-9_-]+$/;

export function token(ctx: ProviderContext): string {
  const t = secret(ctx, "bot_token");
  if (!TOKEN_RE.test(t))
    throw new ProviderError("auth", "the bot token is not in BotFather's format (123456:ABC...)");
  return t;
}

/** Telegram answers `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`. */
export function failure(res: ProviderResponse): ProviderError {
  const description = String(field(res.data, "description") ?? "unexpected answer");
  const err = errorFrom(res, `Telegram: ${description}`);
  const retryAfter = field(res.data, "parameters", "retry_after");
  if (typeof retryAfter === "number") {
    return new ProviderError(err.kind, err.message, { ...err.opts, retryAfterSeconds: retryAfter });
  }
  return err;
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await request(ctx, { path: `/bot${token(ctx)}/getMe` });
  if (res.status !== 200 || field(res.data, "ok") !== true) throw failure(res);
  const username = field(res.data, "result", "username");
  return {
    message: `Connected as @${String(username)}`,
    details: { bot_id: field(res.data, "result", "id") },
  };
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const chatId = /^-?\d+$/.test(msg.to) ? Number(msg.to) : msg.to;
  const res = await request(ctx, {
    method: "POST",
    path: `/bot${token(ctx)}/sendMessage`,
    json: { chat_id: chatId, text: msg.text ?? "" },
  });
  if (res.status !== 200 || field(res.data, "ok") !== true) throw failure(res);
  const messageId = field(res.data, "result", "message_id");
  return { providerMessageId: `${msg.to}:${String(messageId)}` };
}
