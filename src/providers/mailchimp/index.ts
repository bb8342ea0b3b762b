// Mailchimp Transactional (Mandrill) email: API key in the JSON body; sends email; signed webhooks.

import { emailSenderFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { send, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "mailchimp",
  category: "email",
  displayName: "Mailchimp Transactional",
  description:
    "Sends transactional email through Mailchimp Transactional (Mandrill) and tracks it through webhooks.",
  // Mandrill takes the key as `"key"` inside every JSON request body.
  authKind: "api_key",
  // Calls go to /api/1.3/<group>/<method> under this host (client.ts), as the official SDK's do.
  defaultBaseUrl: "https://mandrillapp.com",
  fields: [
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "md-...",
      help: "Mailchimp Transactional → Settings → SMTP & API Info (a Transactional key, not a Marketing key).",
    },
    ...emailSenderFields({ fromHelp: "An address on a sending domain verified in Mailchimp Transactional." }),
    {
      name: "webhook_key",
      label: "Webhook Key",
      type: "password",
      required: false,
      secret: true,
      help: "Settings → Webhooks → the webhook's key; verifies X-Mandrill-Signature.",
    },
  ],
  tokenField: "api_key",
  test,
  send,
  webhook,
  authorize,
  channels: ["email"],
  docsUrl: "https://mailchimp.com/developer/transactional/api/",
});
