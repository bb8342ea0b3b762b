// QuickBooks Online: OAuth 2.0 per company (realm); two-way customer/product/invoice sync; webhooks.
import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import type { Provider } from "../types.ts";
import { PRODUCTION_URL, test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { webhook } from "./webhook.ts";

export const provider = {
  id: "quickbooks",
  category: "accounting",
  displayName: "QuickBooks Online",
  description: "Syncs customers, products and invoices with a QuickBooks Online company in both directions.",
  authKind: "oauth2",
  // Production; `environment: sandbox` switches to Intuit's sandbox host (see client.ts).
  defaultBaseUrl: PRODUCTION_URL,
  fields: [
    ...oauthTokenFields(),
    {
      name: "realm_id",
      label: "Company ID (Realm ID)",
      type: "text",
      required: false,
      secret: false,
      help: "Filled in by the OAuth connection; every API path needs it.",
    },
    {
      name: "environment",
      label: "Environment",
      type: "select",
      required: false,
      secret: false,
      options: ["sandbox", "production"],
      default: "production",
    },
    ...oauthAppFields("Intuit app", { where: "Developer portal → Keys & credentials" }),
    {
      name: "webhook_verifier_token",
      label: "Webhook Verifier Token",
      type: "password",
      required: false,
      secret: true,
      help: "Developer portal → your app → Webhooks; verifies the intuit-signature header.",
    },
  ],
  tokenField: "access_token",
  test,
  webhook,
  oauth,
  capabilities: {
    test: true,
    send: [],
    webhooks: true,
    oauth: true,
    sync: ["customers", "products", "invoices"],
    push: ["customers", "products", "invoices"],
  },
  docsUrl: "https://developer.intuit.com/app/developer/qbo/docs/get-started",
} satisfies Provider;
