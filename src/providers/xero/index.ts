// Xero accounting: OAuth 2.0, one tenant per organisation; two-way customer/product/invoice sync.
import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { authorize } from "./proxy.ts";
import { sync } from "./sync.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "xero",
  category: "accounting",
  displayName: "Xero",
  description:
    "Syncs customers, products, invoices and payments with a Xero organisation in both directions.",
  authKind: "oauth2",
  defaultBaseUrl: "https://api.xero.com",
  fields: [
    ...oauthTokenFields("Filled in by the OAuth connection; Xero rotates it on every refresh."),
    {
      name: "tenant_id",
      label: "Tenant ID",
      type: "text",
      required: false,
      secret: false,
      help: "The Xero organisation this integration uses; chosen from the connections after OAuth.",
    },
    {
      name: "payment_account_code",
      label: "Payment account code",
      type: "text",
      required: false,
      secret: false,
      placeholder: "090",
      help: "The code of the bank account (or an account that takes payments) that payments recorded through the hub are paid into.",
    },
    ...oauthAppFields("Xero app", { where: "developer.xero.com → My Apps → Configuration" }),
    {
      name: "webhook_key",
      label: "Webhook Key",
      type: "password",
      required: false,
      secret: true,
      help: "My Apps → your app → Webhooks; verifies the x-xero-signature header.",
    },
  ],
  tokenField: "access_token",
  test,
  webhook,
  oauth,
  authorize,
  sync,
  // Per tenant: 60 calls/min and 5,000 calls/day.
  rateLimits: [
    { limit: 60, windowSeconds: 60 },
    { limit: 5000, windowSeconds: 86_400 },
  ],
  // Reads are GET; writes are PUT and POST.
  proxyReadOnly: REST_READS,
  docsUrl: "https://developer.xero.com/documentation/api/accounting/overview",
});
