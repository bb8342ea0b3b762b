/** Telegram updates: `X-Telegram-Bot-Api-Secret-Token` carries the webhook's secret token. */
import { type WebhookSender, wrongSecret } from "./sender.ts";

let nextUpdateId = 100_000_000 + Math.floor(Math.random() * 1_000_000);

export const telegram: WebhookSender = {
  events: ["message"],
  async build(o) {
    const secret = o.secrets.webhook_secret ?? "";
    const updateId = o.data?.event_id ? Number(o.data.event_id) : nextUpdateId++;
    const chatId = Number(o.data?.from ?? "123456789");
    const update = {
      update_id: updateId,
      message: {
        message_id: Math.floor(Math.random() * 100_000),
        from: { id: chatId, is_bot: false, first_name: "Sandbox", username: "sandbox_user" },
        chat: { id: chatId, first_name: "Sandbox", type: "private" },
        date: Math.floor((o.now ?? Date.now()) / 1000),
        text: o.data?.text ?? "Hello from the Telegram sandbox",
      },
    };
    const headers = new Headers({ "content-type": "application/json" });
    if (o.fault !== "missing_signature")
      headers.set(
        "x-telegram-bot-api-secret-token",
        o.fault === "bad_signature" ? wrongSecret(secret) : secret,
      );
    let body = JSON.stringify(update);
    if (o.fault === "tampered") body = body.replace("Sandbox", "Tampered");
    return new Request(o.url, { method: "POST", headers, body });
  },
};
