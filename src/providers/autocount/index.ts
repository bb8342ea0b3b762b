// AutoCount Cloud Accounting: Key-ID + API-Key headers per book; two-way customer/product/invoice sync.
import type { Provider } from "../types.ts";
import { test } from "./client.ts";
import { authorize } from "./proxy.ts";

export const provider = {
  id: "autocount",
  category: "accounting",
  displayName: "AutoCount",
  description:
    "Syncs customers (debtors), products and sales invoices with an AutoCount Cloud Accounting book in both directions.",
  // Static `Key-ID` and `API-Key` request headers; no signing, no OAuth.
  authKind: "api_key",
  // Every route sits under the account book: <base>/{account_book_id}/...
  defaultBaseUrl: "https://accounting-api.autocountcloud.com",
  fields: [
    {
      name: "account_book_id",
      label: "Account Book ID",
      type: "text",
      required: true,
      secret: false,
      help: "The numeric ID of the account book, shown in the Cloud Accounting web app's URL.",
    },
    {
      name: "key_id",
      label: "Key ID",
      type: "text",
      required: true,
      secret: false,
      help: "Cloud Accounting → Settings → API Keys → Create API Key.",
    },
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      help: "Generated together with the Key ID; keys belong to one account book.",
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
  docsUrl: "https://accounting-api.autocountcloud.com/documentation/",
} satisfies Provider;
