// SendGrid email: API key sent as a Bearer token; sends email and receives signed (ECDSA) event webhooks.

import { emailSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { send, test } from "./client.ts";
import { webhookSetup } from "./setup.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "sendgrid",
  category: "email",
  displayName: "SendGrid",
  description:
    "Sends transactional email through Twilio SendGrid and tracks delivery through its event webhook.",
  // The API key travels as `Authorization: Bearer <key>`.
  authKind: "bearer",
  defaultBaseUrl: "https://api.sendgrid.com",
  fields: [
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "SG.example_key_id.example_secret_0123456789",
      help: "SendGrid → Settings → API Keys; needs at least the Mail Send permission.",
    },
    ...emailSenderFields({ fromHelp: "A verified sender or an address on an authenticated domain." }),
    {
      name: "webhook_public_key",
      label: "Event Webhook Verification Key",
      type: "textarea",
      required: false,
      secret: false,
      help: "The public key shown when Signed Event Webhook is enabled (Settings → Mail Settings → Event Webhook).",
    },
  ],
  tokenField: "api_key",
  test,
  send,
  webhook,
  webhookSetup,
  // v3 Web API: reads are GET; sending and every change use the other methods.
  proxyReadOnly: REST_READS,
  channels: ["email"],
  docsUrl: "https://www.twilio.com/docs/sendgrid/api-reference",
});
