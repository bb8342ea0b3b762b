// AutoCount Cloud Accounting: Key-ID + API-Key headers per book; two-way customer/product/invoice sync.
import { defineProvider } from "../define.ts";
import { REST_READS } from "../proxy-read-only.ts";
import { test } from "./client.ts";
import { authorize } from "./proxy.ts";
import { DEFAULT_DEBTOR_CONTROL, sync } from "./sync.ts";

export const provider = defineProvider({
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
      placeholder: "1001",
      help: "The numeric ID of the account book, shown in the Cloud Accounting web app's URL.",
    },
    {
      name: "key_id",
      label: "Key ID",
      type: "text",
      required: true,
      secret: false,
      placeholder: "example-key-id",
      help: "Cloud Accounting → Settings → API Keys → Create API Key.",
    },
    {
      name: "api_key",
      label: "API Key",
      type: "password",
      required: true,
      secret: true,
      placeholder: "ExampleAutoCountApiKey0123456789",
      help: "Generated together with the Key ID; keys belong to one account book.",
    },
    {
      name: "debtor_control_account",
      label: "Debtor Control Account",
      type: "text",
      required: false,
      secret: false,
      default: DEFAULT_DEBTOR_CONTROL,
      help: "The parent account (parentAccNo) of customers the hub creates.",
    },
    {
      name: "sales_acc_no",
      label: "Sales Account",
      type: "text",
      required: false,
      secret: false,
      help: "The sales GL account sent on each pushed invoice line; leave empty to let AutoCount fill it from Product Posting.",
    },
  ],
  tokenField: "api_key",
  test,
  authorize,
  sync,
  // The docs' example headers say `x-rate-limit-limit: 1m` with 99 remaining: about 100 a minute.
  rateLimits: [{ limit: 100, windowSeconds: 60 }],
  // Reads are GET; creates, updates, listings with a filter body and voids are POST and PUT.
  proxyReadOnly: REST_READS,
  docsUrl: "https://accounting-api.autocountcloud.com/documentation/",
});
