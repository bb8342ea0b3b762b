/**
 * Telegram webhooks: every update carries `X-Telegram-Bot-Api-Secret-Token` with exactly the
 * `secret_token` given to setWebhook (no HMAC); `update_id` is the dedupe key.
 */
import { field } from "../runtime.ts";
import {
  bodyJson,
  missingSecret,
  type ProviderWebhook,
  refused,
  safeEqual,
  type WebhookEffect,
} from "../webhooks.ts";

const UPDATE_KINDS = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"];

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const expected = ctx.secrets.webhook_secret;
    if (!expected) return missingSecret("webhook secret token");
    const got = req.headers.get("x-telegram-bot-api-secret-token");
    if (!got) return refused("missing X-Telegram-Bot-Api-Secret-Token header");
    return (await safeEqual(got, expected)) ? { ok: true } : refused("secret token does not match");
  },

  describe(req) {
    const update = bodyJson(req);
    const id = field(update, "update_id");
    const kind = UPDATE_KINDS.find((k) => field(update, k) !== undefined) ?? "update";
    return { type: kind, ...(typeof id === "number" ? { id: String(id) } : {}), payload: update };
  },

  effects(payload) {
    const msg = field(payload, "message") ?? field(payload, "channel_post");
    if (!msg || typeof msg !== "object") return [];
    const chat = field(msg, "chat", "id");
    const text = field(msg, "text");
    const mid = field(msg, "message_id");
    const effect: WebhookEffect = {
      kind: "message.inbound",
      channel: "telegram",
      from: String(chat ?? field(msg, "from", "id") ?? ""),
      ...(typeof text === "string" ? { text } : {}),
      ...(mid !== undefined && chat !== undefined ? { providerMessageId: `${chat}:${mid}` } : {}),
    };
    return [effect];
  },
};
