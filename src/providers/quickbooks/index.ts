// QuickBooks Online: OAuth 2.0 per company (realm); two-way customer/product/invoice sync; webhooks.

import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { PRODUCTION_URL, test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { sync } from "./sync.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "quickbooks",
  category: "accounting",
  displayName: "QuickBooks Online",
  description:
    "Syncs customers, products, invoices and payments with a QuickBooks Online company in both directions.",
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
    {
      name: "income_account_id",
      label: "Income account ID",
      type: "text",
      required: false,
      secret: false,
      default: "1",
      help: "The income account (Account Id) of items the hub creates in QuickBooks.",
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
  sync,
  // 500 requests/min and 10/s per realm; throttled calls are 429 (wait 60 s).
  rateLimits: [
    { limit: 500, windowSeconds: 60 },
    { limit: 10, windowSeconds: 1 },
  ],
  // Reads are GET (entities, query, reports, CDC); writes are POST.
  proxyReadOnly: REST_READS,
  docsUrl: "https://developer.intuit.com/app/developer/qbo/docs/get-started",
});
