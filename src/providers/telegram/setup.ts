/**
 * Where the bot's updates go: `getWebhookInfo` (the check) and `setWebhook` with the hub's URL
 * and a `secret_token`, which every update then carries in `X-Telegram-Bot-Api-Secret-Token`
 * (the webhook verifier's `webhook_secret`; one is generated when the integration has none).
 */
import { randomToken } from "../../lib/ids.ts";
import { field, ProviderError, request } from "../runtime.ts";
import type { WebhookSetup } from "../types.ts";
import { failure, token } from "./client.ts";

/** The updates the hub acts on (webhook.ts); others are not sent. */
const ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"];

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const res = await request(ctx, { path: `/bot${token(ctx)}/getWebhookInfo` });
    if (res.status !== 200 || field(res.data, "ok") !== true) throw failure(res);
    const url = field(res.data, "result", "url");
    const current = typeof url === "string" && url ? url : null;
    const lastError = field(res.data, "result", "last_error_message");
    return {
      pointsHere: current !== null && current === ctx.webhookUrl,
      currentUrl: current,
      details: {
        pending_update_count: field(res.data, "result", "pending_update_count") ?? 0,
        ...(typeof lastError === "string" ? { last_error_message: lastError } : {}),
      },
    };
  },

  async register(ctx) {
    if (!ctx.webhookUrl)
      throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
    const existing = ctx.secrets.webhook_secret;
    // 1–256 of A–Z, a–z, 0–9, _ and -: base64url is that alphabet.
    const secretToken = existing && /^[A-Za-z0-9_-]{1,256}$/.test(existing) ? existing : randomToken(32);
    const res = await request(ctx, {
      method: "POST",
      path: `/bot${token(ctx)}/setWebhook`,
      json: { url: ctx.webhookUrl, secret_token: secretToken, allowed_updates: ALLOWED_UPDATES },
    });
    if (res.status !== 200 || field(res.data, "ok") !== true) throw failure(res);
    const description = field(res.data, "description");
    return {
      message: typeof description === "string" ? `Telegram: ${description}` : "Telegram: Webhook was set",
      ...(secretToken === existing ? {} : { values: { webhook_secret: secretToken } }),
    };
  },
};
