// Mailgun email: basic auth with the private API key, US or EU region; sends email; signed webhooks.

import { emailSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { send, test, US_BASE_URL } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhookSetup } from "./setup.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "mailgun",
  category: "email",
  displayName: "Mailgun",
  description:
    "Sends email from a Mailgun sending domain and tracks delivery through Mailgun's signed webhooks.",
  authKind: "basic",
  // US region; with region "eu" the client switches to https://api.eu.mailgun.net (client.ts).
  defaultBaseUrl: US_BASE_URL,
  fields: [
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "0123456789abcdef0123456789abcdef-0123abcd-4567ef89",
      help: "Mailgun → API Security → a private API key.",
    },
    {
      name: "domain",
      label: "Sending Domain",
      type: "text",
      required: true,
      secret: false,
      placeholder: "mg.example.com",
      help: "A domain you added and verified in Mailgun.",
    },
    {
      name: "region",
      label: "Region",
      type: "select",
      required: true,
      secret: false,
      options: ["us", "eu"],
      default: "us",
      help: "Where the Mailgun account lives; EU accounts use api.eu.mailgun.net.",
    },
    ...emailSenderFields({ fromPlaceholder: "noreply@mg.example.com" }),
    {
      name: "webhook_signing_key",
      label: "HTTP Webhook Signing Key",
      type: "password",
      required: false,
      secret: true,
      help: "Mailgun → API Security → HTTP webhook signing key (not the API key); verifies webhooks.",
    },
  ],
  tokenField: "api_key",
  test,
  send,
  webhook,
  webhookSetup,
  authorize,
  // Reads are GET; sending and every change use the other methods.
  proxyReadOnly: REST_READS,
  channels: ["email"],
  docsUrl: "https://documentation.mailgun.com/docs/mailgun/api-reference/",
});
