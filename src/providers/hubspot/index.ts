// HubSpot CRM: OAuth 2.0 or private-app token; syncs contacts, companies, products, invoices; webhooks.

import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { authorize } from "./proxy.ts";
import { sync } from "./sync.ts";
import { webhook } from "./webhook.ts";

export const provider = defineProvider({
  id: "hubspot",
  category: "crm",
  displayName: "HubSpot",
  description:
    "Syncs contacts, companies, products and invoices from a HubSpot CRM account and receives its change webhooks.",
  authKind: "oauth2",
  defaultBaseUrl: "https://api.hubapi.com",
  fields: [
    ...oauthTokenFields(),
    {
      name: "private_app_token",
      label: "Private App Token",
      type: "password",
      required: false,
      secret: true,
      aliases: ["api_key"],
      placeholder: "pat-...",
      help: "Instead of OAuth: HubSpot Settings → Integrations → Private Apps → the app's access token.",
    },
    ...oauthAppFields("HubSpot app", {
      where: "the app's Auth tab",
      secretNote: "; it also verifies HubSpot's webhook signatures",
    }),
  ],
  tokenField: "private_app_token",
  test,
  webhook,
  oauth,
  authorize,
  sync,
  // Free/Starter private apps, the lowest published tier; Search (5/s) counts against it too.
  rateLimits: [{ limit: 100, windowSeconds: 10 }],
  // HubSpot's REST API reads with GET and writes with POST, PATCH, PUT and DELETE.
  proxyReadOnly: REST_READS,
  docsUrl: "https://developers.hubspot.com/docs/api/overview",
});
