// Odoo CRM: customer-hosted Odoo over JSON-RPC (database, login, API key); syncs partners and more.
import { defineProvider } from "../define.ts";
import { test } from "./client.ts";
import { sync } from "./sync.ts";

export const provider = defineProvider({
  id: "odoo_crm",
  category: "crm",
  displayName: "Odoo CRM",
  description:
    "Syncs customers (partners), products and invoices from your own Odoo instance through its external API.",
  authKind: "json_rpc",
  // The integration's api_base_url (e.g. https://yourcompany.odoo.com) is the Odoo host.
  defaultBaseUrl: "",
  customerBaseUrl: true,
  baseUrlExample: "https://yourcompany.odoo.com",
  fields: [
    {
      name: "database",
      label: "Database",
      type: "text",
      required: true,
      secret: false,
      placeholder: "yourcompany",
      help: "The Odoo database name, shown in the database selector or under Settings → About.",
    },
    {
      name: "username",
      label: "Username",
      type: "text",
      required: true,
      secret: false,
      placeholder: "admin@example.com",
      help: "The login (usually an email address) of the Odoo user the API key belongs to.",
    },
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "0123456789abcdef0123456789abcdef01234567",
      help: "Odoo → Preferences → Account Security → New API Key. Keys last at most 3 months.",
    },
  ],
  tokenField: "api_key",
  test,
  sync,
  // Odoo publishes no API limit; a polite default for a customer's own server.
  rateLimits: [{ limit: 10, windowSeconds: 1 }],
  docsUrl: "https://www.odoo.com/documentation/19.0/developer/reference/external_api.html",
});
