// SQL Accounting (SQL Account API Service): SigV4-signed REST; two-way customer/product/invoice sync.
import type { Provider } from "../types.ts";
import { DEFAULT_REGION, DEFAULT_SERVICE, test } from "./client.ts";
import { authorize } from "./proxy.ts";

export const provider = {
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
  ],
  tokenField: "api_key",
  test,
  authorize,
  capabilities: {
    test: true,
    send: [],
    webhooks: false,
    oauth: false,
    sync: ["customers", "products", "invoices"],
    push: ["customers", "products", "invoices"],
  },
  docsUrl: "https://docs.sql.com.my/sqlacc/sql-account-api/setup-configuration",
} satisfies Provider;
