// Salesforce CRM: OAuth 2.0 against the org's instance URL; syncs accounts, contacts and products.

import { oauthAppFields, oauthTokenFields } from "../common-fields.ts";
import { defineProvider } from "../define.ts";
import { apiBase, LOGIN_URL, sessionExpired, test } from "./client.ts";
import { oauth } from "./oauth.ts";
import { sync } from "./sync.ts";

export const provider = defineProvider({
  id: "salesforce",
  category: "crm",
  displayName: "Salesforce",
  description: "Syncs accounts, contacts and products from a Salesforce org through its REST API.",
  authKind: "oauth2",
  // Login host for the OAuth flow; API calls go to the integration's instance_url (see client.ts).
  defaultBaseUrl: LOGIN_URL,
  fields: [
    ...oauthTokenFields("Filled in by the OAuth connection (needs the refresh_token scope)."),
    {
      name: "instance_url",
      label: "Instance URL",
      type: "url",
      required: false,
      secret: false,
      placeholder: "https://yourcompany.my.salesforce.com",
      help: "Filled in by the OAuth connection; every API call goes to this host.",
    },
    ...oauthAppFields("External Client App or Connected App", { vendorTerm: "Consumer" }),
  ],
  tokenField: "access_token",
  test,
  oauth,
  sync,
  apiBaseUrl: (ctx) => apiBase(ctx).baseUrl,
  sessionExpired,
  // The org's daily API request allocation (the sandbox org's /limits answer: 15,000).
  rateLimits: [{ limit: 15000, windowSeconds: 86400 }],
  // The REST API under /services/data reads with GET; Apex REST (/services/apexrest) runs
  // the org's own code, so no GET there is known to be read-only.
  proxyReadOnly: [{ path: "/services/data/**" }],
  docsUrl: "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest.htm",
});
