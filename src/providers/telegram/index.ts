// Telegram bot: token in the URL path; test with getMe; sends messages; secret-token webhook.
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhookSetup } from "./setup.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "telegram",
  category: "messaging",
  displayName: "Telegram",
  description: "Sends and receives Telegram messages through a bot created with BotFather.",
  // The token goes in the path: https://api.telegram.org/bot<token>/<method>.
  authKind: "bearer",
  defaultBaseUrl: "https://api.telegram.org",
  fields: [
    {
      name: "bot_token",
      label: "Bot Token",
      type: "password",
      required: true,
      secret: true,
      placeholder: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
      help: "From @BotFather (/newbot or /token).",
    },
    {
      name: "chat_id",
      label: "Default Chat ID",
      type: "text",
      required: false,
      secret: false,
      help: "Chat, group or channel to send to when a message names none (e.g. -1001234567890 or @channel).",
    },
    {
      name: "webhook_secret",
      label: "Webhook Secret Token",
      type: "password",
      required: false,
      secret: true,
      help: "Passed to setWebhook as secret_token and checked on every update; 1–256 of A–Z, a–z, 0–9, _ and -.",
    },
  ],
  tokenField: "bot_token",
  test,
  send,
  webhook,
  webhookSetup,
  authorize,
  // Every Bot API method may be called with GET, sendMessage too: only these methods read.
  proxyReadOnly: [
    "/getMe",
    "/getWebhookInfo",
    "/getChat",
    "/getChatMember",
    "/getChatMemberCount",
    "/getChatAdministrators",
    "/getFile",
    "/getUserProfilePhotos",
    "/getMyCommands",
    "/getMyName",
    "/getMyDescription",
    "/getMyShortDescription",
  ].map((path) => ({ path })),
  channels: ["telegram"],
  docsUrl: "https://core.telegram.org/bots/api",
});
