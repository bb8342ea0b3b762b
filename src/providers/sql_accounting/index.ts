// SQL Accounting (SQL Account API Service): SigV4-signed REST; two-way customer/product/invoice sync.

import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { DEFAULT_REGION, DEFAULT_SERVICE, test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { sync } from "./sync.ts";

export const provider = defineProvider({
  id: "sql_accounting",
  category: "accounting",
  displayName: "SQL Accounting",
  description:
    "Syncs customers, stock items and sales invoices with SQL Account through its API Service in both directions.",
  // SigV4 with the API user's access key and secret key. Region and service are stored per connection:
  // SQL's samples use ap-southeast-1 / execute-api, current clients ap-southeast-5 / sqlaccount.
  authKind: "aws_sigv4",
  // SQL's gateway; an install may instead expose its own host, so the customer can supply the base URL.
  defaultBaseUrl: "https://api.sql.my",
  customerBaseUrl: true,
  baseUrlExample: "https://api.sql.my",
  fields: [
    {
      name: "access_key",
      label: "Access Key",
      type: "text",
      required: true,
      secret: false,
      placeholder: "0123456789abcdef0123456789abcdef.sql.my/APIUSER",
      help: "SQL Account → Tools → Maintain User → a dedicated API user → More → API Secret Key → Generate.",
    },
    {
      name: "api_key",
      label: "Secret Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "ExampleSqlAccountingSecretKey0123456789",
      aliases: ["secret_key"],
      help: "Shown once, together with the Access Key, when the API secret key is generated.",
    },
    {
      name: "region",
      label: "Signing Region",
      type: "text",
      required: false,
      secret: false,
      default: DEFAULT_REGION,
      help: "Change only if SQL support says so (older samples use ap-southeast-1).",
    },
    {
      name: "service",
      label: "Signing Service",
      type: "text",
      required: false,
      secret: false,
      default: DEFAULT_SERVICE,
      help: "Change only if SQL support says so (older samples use execute-api).",
    },
    {
      name: "sync_modified_filter",
      label: "Incremental Sync Filter",
      type: "boolean",
      required: false,
      secret: false,
      default: true,
      help: "Fetch only changed records with lastmodified=<since>~<future> (needs SQL Account 5.2025.1061.890 or later). Turn off to scan everything on every run.",
    },
    {
      name: "customer_path",
      label: "Customer Path",
      type: "text",
      required: false,
      secret: false,
      default: "/customer",
      help: "The API Service object for customers.",
    },
    {
      name: "product_path",
      label: "Stock Item Path",
      type: "text",
      required: false,
      secret: false,
      default: "/stockitem",
      help: "The API Service object for stock items.",
    },
    {
      name: "invoice_path",
      label: "Invoice Path",
      type: "text",
      required: false,
      secret: false,
      default: "/salesinvoice",
      help: "/salesinvoice (Sales module, SL_IV) or /customerinvoice (AR module, AR_IV).",
    },
  ],
  tokenField: "api_key",
  test,
  authorize,
  sync,
  // No limit is documented; on-premise servers answer slowly, so stay at a conservative pace.
  rateLimits: [{ limit: 5, windowSeconds: 1 }],
  // SQL Account API Service: retrieve is GET; create, edit and delete are POST, PUT, DELETE.
  proxyReadOnly: REST_READS,
  docsUrl: "https://docs.sql.com.my/sqlacc/sql-account-api/setup-configuration",
});
