// Custom integration: customer-supplied base URL, API key and secret; Standard Webhooks signatures.
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "other",
  category: "other",
  displayName: "Custom Integration",
  description:
    "Connects any HTTP API by base URL, API key and secret, and accepts webhooks signed the Standard Webhooks way.",
  authKind: "api_key",
  // The integration's api_base_url is the API.
  defaultBaseUrl: "",
  customerBaseUrl: true,
  baseUrlExample: "https://api.example.com/v1",
  fields: [
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "sk_example_0123456789abcdef",
    },
    {
      name: "api_secret",
      label: "API Secret",
      type: "password",
      required: false,
      secret: true,
    },
    {
      name: "webhook_secret",
      label: "Webhook Signing Secret",
      type: "password",
      required: false,
      secret: true,
      placeholder: "whsec_...",
      help: "Standard Webhooks secret (whsec_ + base64) that verifies the webhook-signature header; while rotating, give several separated by spaces.",
    },
  ],
  tokenField: "api_key",
  test,
  webhook,
  authorize,
  // A custom API: reads are taken to be GET and HEAD, as HTTP defines them (RFC 9110 §9.2.1).
  proxyReadOnly: REST_READS,
  docsUrl: "https://www.standardwebhooks.com/",
});
